"""The completion format (`compiler.format`): written, read back, and read leniently when malformed."""

from __future__ import annotations

import pytest

from compiler import format as fmt
from compiler.format import cited_ids, format_completion, parse_completion, parse_decision

NO_DECISION = "no `Decision: <comply|refuse|safe_complete>` line in the reasoning"

WELL_FORMED = """<reasoning>
The user wants an untraceable gun: `violence.r2` forbids prohibited weapon work, so I refuse
following `style_refuse`.
Decision: refuse
</reasoning>
<answer>
Sorry, I can't help with making an untraceable firearm.
</answer>"""


def test_well_formed_completion() -> None:
    parsed = parse_completion(WELL_FORMED)
    assert parsed.well_formed and parsed.problems == ()
    assert parsed.reasoning.startswith("The user wants") and parsed.reasoning.endswith("Decision: refuse")
    assert parsed.answer == "Sorry, I can't help with making an untraceable firearm."
    assert parsed.cited_ids == ("violence.r2", "style_refuse")
    assert parsed.decision == "refuse"


def test_format_then_parse_round_trips() -> None:
    text = format_completion("I cite `a.b1`.", "Hello.", decision="comply")
    assert text == "<reasoning>\nI cite `a.b1`.\nDecision: comply\n</reasoning>\n<answer>\nHello.\n</answer>"
    parsed = parse_completion(text)
    assert (parsed.reasoning, parsed.answer, parsed.cited_ids, parsed.decision) == (
        "I cite `a.b1`.\nDecision: comply", "Hello.", ("a.b1",), "comply")
    assert parsed.well_formed


def test_format_keeps_an_existing_decision_line() -> None:
    text = format_completion("x\nDecision: refuse", "No.", decision="refuse")
    assert text.count("Decision:") == 1


def test_constants_are_what_the_template_shows() -> None:
    assert (fmt.REASONING_OPEN, fmt.REASONING_CLOSE, fmt.ANSWER_OPEN, fmt.ANSWER_CLOSE) == (
        "<reasoning>", "</reasoning>", "<answer>", "</answer>")
    assert fmt.DECISIONS == ("comply", "refuse", "safe_complete")


@pytest.mark.parametrize(
    ("text", "answer", "decision", "problems"),
    [
        # the answer tag may be closed or not (a generator may stop on `</answer>`)
        ("<reasoning>r\nDecision: comply</reasoning><answer>A", "A", "comply", ()),
        ("<reasoning>r\nDecision: comply</reasoning>\nA plain answer", "A plain answer", "comply",
         ("missing <answer>",)),
        ("Just an answer.", "Just an answer.", None, ("missing <reasoning>", "missing <answer>")),
        ("<reasoning>cut off in the middle", "", None,
         ("missing </reasoning>", "missing <answer>", NO_DECISION)),
        ("<reasoning>no decision</reasoning><answer>A</answer>", "A", None,
         (NO_DECISION,)),
        ("Sure!<reasoning>r\nDecision: refuse</reasoning><answer>No.</answer>", "No.", "refuse",
         ("text before <reasoning>",)),
        ("<reasoning>r\nDecision: refuse</reasoning><answer>No.</answer>\nmore", "No.", "refuse",
         ("text after </answer>",)),
        ("<reasoning>r\nDecision: refuse</reasoning><answer>No.<reasoning>x</answer>", "No.<reasoning>x", "refuse",
         ("format tags inside the answer",)),
        ("<REASONING>r\ndecision: Safe-Complete</REASONING><ANSWER>Here.</ANSWER>", "Here.", "safe_complete", ()),
    ],
)
def test_malformed_completions_are_read_leniently(text: str, answer: str, decision: str | None,
                                                  problems: tuple[str, ...]) -> None:
    parsed = parse_completion(text)
    assert parsed.answer == answer
    assert parsed.decision == decision
    assert parsed.problems == problems
    assert parsed.well_formed is (problems == ())


@pytest.mark.parametrize(
    ("line", "decision"),
    [
        ("Decision: comply", "comply"),
        ("decision:refuse.", "refuse"),
        ("**Decision:** `safe_complete`", None),  # bold prefix is not the format
        ("Decision: **safe complete**", "safe_complete"),
        ("Decision: maybe", None),
        ("My decision: refuse", None),
    ],
)
def test_decision_line(line: str, decision: str | None) -> None:
    assert parse_decision(f"some reasoning\n{line}") == decision


def test_last_decision_line_wins() -> None:
    assert parse_decision("Decision: comply\nOn reflection:\nDecision: refuse") == "refuse"


@pytest.mark.parametrize(
    ("reasoning", "known", "cited"),
    [
        ("per `violence.r2` and `#style_refuse`, and again `violence.r2`", (), ("violence.r2", "style_refuse")),
        ("violence.r2 applies", (), ()),
        ("violence.r2 applies, see style_refuse.", ("violence.r2", "style_refuse"), ("violence.r2", "style_refuse")),
        ("this involves violence", ("violence",), ()),  # a bare word id is a topic, not a citation
        ("`violence` then violence.r2", ("violence", "violence.r2"), ("violence", "violence.r2")),
        ("violence.r20 is not violence.r2", ("violence.r2",), ("violence.r2",)),
    ],
)
def test_cited_ids(reasoning: str, known: tuple[str, ...], cited: tuple[str, ...]) -> None:
    assert cited_ids(reasoning, known) == cited
