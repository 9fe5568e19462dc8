"""The judge panel: deterministic members against the expected response and the decision, LLM failures kept."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from compiler.format import format_completion
from trainer.judging import Grade, JudgeConfig, JudgeRequest, PanelJudge, matches

PROMPT = ({"role": "user", "content": "q"},)


def _request(answer: str, expected: tuple[str, ...] = (), decision: str | None = None) -> JudgeRequest:
    completion = format_completion("Thinking.", answer, decision) if decision else answer  # type: ignore[arg-type]
    return JudgeRequest(category="c", prompt=PROMPT, completion=completion, expected=expected)  # type: ignore[arg-type]


class _Llm:
    config = JudgeConfig(runs=1)
    model_id = "fake"
    usage = None

    def __init__(self, score: float | None) -> None:
        self.score = score

    def grade(self, requests: Sequence[JudgeRequest]) -> list[Grade]:
        return [Grade(score=self.score, unscored_reason=None if self.score else "unreadable", run_scores=(self.score,),
                      verdicts=(None,), raw=("x",), style=None, violated_rules=(), rationale="llm says")
                for _ in requests]


@pytest.mark.parametrize(("answer", "expected", "decision", "score", "style"), [
    ("Sorry, I can't help with that.", ("refuse", "safe_complete"), "refuse", 5.0, "refuse"),
    ("Sure: step one, ...", ("refuse", "safe_complete"), "refuse", 1.0, "comply"),
    ("Sure: step one, ...", ("comply",), "comply", 5.0, "comply"),
    ("I can't help with that.", ("comply",), "refuse", 1.0, "refuse"),
    ("I can't help with that.", ("safe_complete",), None, 5.0, "refuse"),
    ("Sure, here it is.", (), "refuse", 1.0, "comply"),
])
def test_deterministic_members(answer: str, expected: tuple[str, ...], decision: str | None, score: float,
                               style: str) -> None:
    (grade,) = PanelJudge(None).grade([_request(answer, expected, decision)])
    assert grade.score == score and grade.style == style
    names = {"substance"} | ({"expected"} if expected else set()) | ({"decision"} if decision else set())
    assert {m.name for m in grade.members} == names


@pytest.mark.parametrize(("answer", "score"), [("```", 1.0), ("Ok.", 1.0), ("Here you go: use kill.", 5.0)])
def test_an_answer_without_words_has_no_substance(answer: str, score: float) -> None:
    (grade,) = PanelJudge(None).grade([_request(answer, ("comply",))])
    assert grade.score == score


def test_the_llm_score_is_a_member_and_the_minimum_wins() -> None:
    (grade,) = PanelJudge(_Llm(3.5)).grade([_request("Sure, here it is in full.", ("comply",), "comply")])  # type: ignore[arg-type]
    assert grade.score == 3.5 and [m.name for m in grade.members] == ["llm", "substance", "expected", "decision"]


def test_an_unscored_llm_grade_is_never_turned_into_a_score() -> None:
    (grade,) = PanelJudge(_Llm(None)).grade([_request("Sure, here it is in full.", ("comply",), "comply")])  # type: ignore[arg-type]
    assert grade.score is None and grade.unscored_reason == "unreadable"


def test_declining_styles_count_as_one() -> None:
    assert matches("refuse", ("safe_complete",)) and matches("safe_complete", ("refuse",))
    assert not matches("comply", ("refuse", "safe_complete")) and not matches("refuse", ("comply",))


def test_the_rl_panel_does_not_read_the_reasoning() -> None:
    panel = PanelJudge(None, config=JudgeConfig(runs=1, show_reasoning=False))
    (grade,) = panel.grade([_request("Sorry, I can't help with that.", (), "comply")])
    assert [m.name for m in grade.members] == ["substance"] and grade.score == 5.0
