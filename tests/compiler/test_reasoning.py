"""Reasoning formats (`compiler.reasoning`): rendered, read back leniently, joined with a server's reasoning
field, shown to the judge, handed to chat templates, asked for by the compiler, and resolved from a choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import ApproxCounter, check_bundle, compile_spec
from compiler.format import format_completion, parse_completion
from compiler.reasoning import (
    HARMONY,
    TAGS,
    THINK,
    ReasoningError,
    ReasoningFormat,
    detect,
    from_completion_format,
    get_format,
    resolve,
)
from tests.compiler.compile_helpers import DIALECT_MINI, load_clean

REASONING = "The user asks about `violence.r2`, so I refuse.\nDecision: refuse"
ANSWER = "Sorry, I can't help with that."
FORMATS = (TAGS, THINK, HARMONY)


@pytest.mark.parametrize(("fmt", "text"), [
    (TAGS, f"<reasoning>\n{REASONING}\n</reasoning>\n<answer>\n{ANSWER}\n</answer>"),
    (THINK, f"<think>\n{REASONING}\n</think>\n\n{ANSWER}"),
    (HARMONY, f"<|channel|>analysis<|message|>{REASONING}<|end|><|start|>assistant<|channel|>final<|message|>"
              f"{ANSWER}<|return|>"),
], ids=lambda v: v.name if isinstance(v, ReasoningFormat) else "")
def test_render_is_what_the_model_writes_and_parses_back(fmt: ReasoningFormat, text: str) -> None:
    assert format_completion(REASONING, ANSWER, "refuse", fmt) == text
    parsed = parse_completion(text, (), fmt)
    assert parsed.well_formed, parsed.problems
    assert (parsed.reasoning, parsed.answer, parsed.decision, parsed.cited_ids) == (
        REASONING, ANSWER, "refuse", ("violence.r2",))


@pytest.mark.parametrize(("fmt", "text", "reasoning", "answer", "problems"), [
    # R1-style templates put `<think>` in the generation prompt: the completion starts inside the block
    (THINK, f"{REASONING}\n</think>\n\n{ANSWER}", REASONING, ANSWER, ()),
    (THINK, f"<think>\n{REASONING}", REASONING, "", ("missing </think>",)),
    (THINK, ANSWER, "", ANSWER, ("missing <think>",)),
    (THINK, f"<think>{REASONING}</think>{ANSWER} </think>", REASONING, f"{ANSWER} </think>",
     ("format tags inside the answer",)),
    # harmony decoded with its special tokens skipped
    (HARMONY, f"analysis{REASONING}assistantfinal{ANSWER}", REASONING, ANSWER, ()),
    # the final message as a chat template renders an earlier turn (`<|end|>`), or cut off before `<|return|>`
    (HARMONY, f"<|channel|>analysis<|message|>{REASONING}<|end|><|start|>assistant<|channel|>final<|message|>"
              f"{ANSWER}<|end|>", REASONING, ANSWER, ()),
    (HARMONY, f"<|channel|>analysis<|message|>{REASONING}<|end|><|start|>assistant<|channel|>final<|message|>"
              f"{ANSWER}", REASONING, ANSWER, ()),
    (HARMONY, f"<|channel|>final<|message|>{ANSWER}<|return|>", "", ANSWER,
     ("missing <|channel|>analysis<|message|>",)),
    (TAGS, f"<reasoning>{REASONING}</reasoning>{ANSWER}", REASONING, ANSWER, ("missing <answer>",)),
], ids=str)
def test_split_is_lenient_and_says_what_is_wrong(fmt: ReasoningFormat, text: str, reasoning: str, answer: str,
                                                 problems: tuple[str, ...]) -> None:
    parsed = parse_completion(text, (), fmt)
    assert (parsed.reasoning, parsed.answer) == (reasoning, answer)
    assert [p for p in parsed.problems if not p.startswith("no `Decision")] == list(problems)


def test_a_completion_in_another_format_is_not_well_formed() -> None:
    think_text = THINK.render(REASONING, ANSWER)
    assert not parse_completion(think_text, (), TAGS).well_formed
    assert not parse_completion(TAGS.render(REASONING, ANSWER), (), THINK).well_formed


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_join_puts_a_servers_reasoning_field_in_the_completion(fmt: ReasoningFormat) -> None:
    joined = fmt.join(ANSWER, REASONING)
    assert joined == fmt.render(REASONING, ANSWER)
    assert parse_completion(joined, (), fmt).reasoning == REASONING
    assert fmt.join(ANSWER, None) == ANSWER and fmt.join(ANSWER, "  ") == ANSWER
    inline = fmt.render(REASONING, ANSWER)
    assert fmt.join(inline, "other reasoning") == inline  # reasoning already inline wins


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_the_judge_sees_tags_whatever_the_format(fmt: ReasoningFormat) -> None:
    text = fmt.render(REASONING, ANSWER)
    assert fmt.judge_view(text, True) == TAGS.render(REASONING, ANSWER)
    hidden = fmt.judge_view(text, False)
    assert hidden == f"<answer>\n{ANSWER}\n</answer>" and "violence.r2" not in hidden


@pytest.mark.parametrize(("fmt", "message"), [
    (TAGS, {"role": "assistant", "content": TAGS.render(REASONING, ANSWER)}),
    (THINK, {"role": "assistant", "content": THINK.render(REASONING, ANSWER)}),
    (HARMONY, {"role": "assistant", "content": ANSWER, "thinking": REASONING}),
], ids=lambda v: v.name if isinstance(v, ReasoningFormat) else "")
def test_message_is_what_a_chat_template_of_the_format_expects(fmt: ReasoningFormat, message: dict[str, str]) -> None:
    assert fmt.message(fmt.render(REASONING, ANSWER)) == message


@pytest.mark.parametrize(("template", "name"), [
    ("{% for m in messages %}<|im_start|>{{ m.content }}{% endfor %}", "tags"),
    ("{{ '<|im_start|>assistant\\n<think>\\n' }}", "think"),
    ("{% if '</think>' in content %}{% endif %}", "think"),
    ("<|start|>assistant<|channel|>final<|message|>", "harmony"),
    (None, "tags"),
])
def test_detect_reads_the_chat_template(template: str | None, name: str) -> None:
    assert detect(template).name == name


def test_resolve_follows_the_bundle_and_refuses_a_contradiction() -> None:
    assert resolve("auto") is TAGS
    assert resolve("auto", chat_template="<think>") is THINK
    assert resolve("auto", bundle=HARMONY, chat_template="<think>") is HARMONY
    assert resolve("think", chat_template="plain") is THINK
    assert resolve("think", bundle=THINK) is THINK
    with pytest.raises(ReasoningError, match="compiled for `tags`") as raised:
        resolve("think", bundle=TAGS)
    assert "--reasoning think" in raised.value.hint
    with pytest.raises(ReasoningError, match="unknown reasoning format 'xml'"):
        get_format("xml")


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_completion_format_round_trips_through_the_manifest(fmt: ReasoningFormat) -> None:
    assert from_completion_format(fmt.completion_format) is fmt
    with pytest.raises(ReasoningError, match="not one this delib knows"):
        from_completion_format("delib-completion/1+xml")


@pytest.mark.parametrize(("fmt", "wanted", "unwanted"), [
    (TAGS, ("think it through inside a reasoning block", "<reasoning>\n(your reasoning", "</answer>"), ("<think>",)),
    (THINK, ("think it through inside your <think> block", "<think>\n(your reasoning", "after </think>"),
     ("<reasoning>", "<answer>")),
    (HARMONY, ("in your analysis channel", "[analysis]\n(your reasoning", "in your final channel"),
     ("<reasoning>", "<|channel|>")),
], ids=lambda v: v.name if isinstance(v, ReasoningFormat) else "")
def test_the_compiled_system_prompt_asks_for_the_format(fmt: ReasoningFormat, wanted: tuple[str, ...],
                                                        unwanted: tuple[str, ...], tmp_path: Path) -> None:
    spec = load_clean(DIALECT_MINI)
    bundle = compile_spec(spec, counter=ApproxCounter(), reasoning=fmt)
    assert bundle.reasoning is fmt
    prompt = bundle.system_prompt(bundle.categories[0])
    for text in wanted:
        assert text in prompt
    for text in unwanted:
        assert text not in prompt
    tags = compile_spec(spec, counter=ApproxCounter())
    category = bundle.categories[0]
    assert bundle.rubric(category) == tags.rubric(category)  # the judge sees tags in every format


def test_another_reasoning_format_makes_the_bundle_stale(tmp_path: Path) -> None:
    from compiler import build_bundle

    spec = load_clean(DIALECT_MINI)
    out = tmp_path / "bundle"
    build_bundle([spec], out, counter=ApproxCounter(), reasoning=THINK)
    assert check_bundle([spec], out).fresh and check_bundle([spec], out, reasoning=THINK).fresh
    stale = check_bundle([spec], out, reasoning=TAGS)
    assert not stale.fresh
    assert stale.describe() == ["reasoning format changed (every category): delib-completion/1+think -> "
                                "delib-completion/1"]
    bundle, report = build_bundle([spec], out, counter=ApproxCounter(), reasoning=TAGS)
    assert bundle.reasoning is TAGS and report.written  # nothing reused across formats
