"""The RL reward callables, called the way TRL calls them (keyword arguments, conversational completions)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.trainer.scripted_models import FakeJudge
from tests.trainer.training.training_helpers import COMPLETION
from trainer.training import CitationReward, FormatReward, JudgeReward
from trainer.training.rewards import citation_score, completion_text, format_score

ALLOWED = {"advice": ("advice", "advice.c1", "style_comply"), "violence": ("violence", "violence.r1")}
KNOWN = frozenset(i for ids in ALLOWED.values() for i in ids)


def conv(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


@pytest.mark.parametrize(("text", "expected"), [
    (COMPLETION, 1.0),
    (COMPLETION.replace("Decision: comply\n", ""), 0.75),                       # no decision line
    (COMPLETION + "\ntrailing words", 0.75),                                    # text after </answer>
    (COMPLETION.replace("</reasoning>", ""), 0.5),                              # missing </reasoning> and <answer>
    ("Just an answer, no reasoning.", 0.0),
    ("", 0.0),
])
def test_format_score(text: str, expected: float) -> None:
    assert format_score(text) == pytest.approx(expected)


@pytest.mark.parametrize(("text", "category", "expected"), [
    (COMPLETION, "advice", 1.0),                    # `advice`, `advice.c1`: both belong to advice
    (COMPLETION, "violence", 0.0),                  # ...but not to violence
    ("<reasoning>\nSee `advice.c1` and `violence.r1`.\nDecision: refuse\n</reasoning>", "violence", 0.5),
    ("<reasoning>\nSee `nonexistent.r9`.\nDecision: `refuse`\n</reasoning>", "advice", 0.0),  # decision word ignored
    ("<reasoning>\nNothing cited.\nDecision: comply\n</reasoning>", "advice", 0.0),
])
def test_citation_score(text: str, category: str, expected: float) -> None:
    assert citation_score(text, ALLOWED[category], KNOWN) == pytest.approx(expected)


def test_rewards_log_per_category_means_through_log_metric() -> None:
    logged: list[tuple[str, float]] = []
    completions = [conv(COMPLETION), conv("no reasoning"), conv(COMPLETION)]
    categories = ["advice", "advice", "violence"]
    prompts: list[Any] = [[{"role": "user", "content": "q"}]] * 3
    fmt = FormatReward()(prompts=prompts, completions=completions, category=categories,
                         log_metric=lambda k, v: logged.append((k, v)), completion_ids=None, trainer_state=None)
    cite = CitationReward(ALLOWED)(prompts=prompts, completions=completions, category=categories,
                                   log_metric=lambda k, v: logged.append((k, v)))
    assert fmt == [1.0, 0.0, 1.0] and cite == [1.0, 0.0, 0.0]
    assert logged[:3] == [("rewards_by_category/advice/format", 1.0), ("rewards_by_category/advice/format", 0.0),
                          ("rewards_by_category/violence/format", 1.0)]
    assert FormatReward().__name__ == "format" and CitationReward({}).__name__ == "citation"


def test_judge_reward_batches_normalises_and_keeps_unscored() -> None:
    judge = FakeJudge(scorer=lambda r: None if "unreadable" in r.completion else 5.0 if "good" in r.completion else 2.0)
    reward = JudgeReward(judge, make_request=_Request)
    logged: list[tuple[str, float]] = []
    values = asyncio.run(reward(
        prompts=[[{"role": "user", "content": "q1"}], [{"role": "user", "content": "q2"}], "q3"],
        completions=[conv("good answer"), conv("meh"), "unreadable"],
        category=["advice", "violence", "advice"],
        expected=["comply", "", "refuse|safe_complete"],
        log_metric=lambda k, v: logged.append((k, v)),
    ))
    assert values == [1.0, 0.25, None]  # normalised 0..1; unscored stays None (TRL leaves it out of the sum)
    assert [r.expected for r in judge.batches[0]] == [("comply",), (), ("refuse", "safe_complete")]
    [batch] = judge.batches  # one batched call for the whole step
    assert [(r.category, r.prompt, r.completion) for r in batch] == [
        ("advice", ({"role": "user", "content": "q1"},), "good answer"),
        ("violence", ({"role": "user", "content": "q2"},), "meh"),
        ("advice", ({"role": "user", "content": "q3"},), "unreadable"),
    ]
    assert logged == [("rewards_by_category/advice/judge", 1.0), ("rewards_by_category/violence/judge", 0.25)]


def test_judge_reward_refuses_a_judge_that_sees_the_reasoning(bundle_dir: Path) -> None:
    from compiler import load_bundle
    from trainer.backends import FakeBackend
    from trainer.judging import Judge, JudgeConfig

    bundle = load_bundle(bundle_dir)
    with pytest.raises(ValueError, match="must not see the reasoning"):
        JudgeReward(Judge(FakeBackend(), bundle, JudgeConfig(show_reasoning=True)))
    judge = Judge(FakeBackend('{"score": 4}', probs={"4": 1.0}), bundle, JudgeConfig(runs=1, show_reasoning=False))
    reward = JudgeReward(judge)  # the real JudgeRequest
    [value] = asyncio.run(reward(prompts=[[{"role": "user", "content": "q"}]], completions=[conv(COMPLETION)],
                                 category=["advice"]))
    assert value == pytest.approx(0.75)
    shown = judge.conversation(_real_request("advice", COMPLETION))[-1]["content"]
    assert "Mix flour" in shown and "nothing in `advice` restricts it" not in shown  # the reasoning is hidden


def test_completion_text_forms() -> None:
    assert completion_text("plain") == "plain"
    assert completion_text(conv("chat")) == "chat"
    assert completion_text([]) == ""


class _Request:
    def __init__(self, category: str, prompt: tuple[dict[str, str], ...], completion: str,
                 expected: tuple[str, ...] = ()) -> None:
        self.category, self.prompt, self.completion, self.expected = category, prompt, completion, expected


def _real_request(category: str, completion: str) -> Any:
    from trainer.judging import JudgeRequest

    return JudgeRequest(category=category, prompt=({"role": "user", "content": "q"},), completion=completion)
