"""Scripted stand-ins for the models every trainer stage calls, shared by the stages' tests: what a model
answers about the tiny policy (a completion in the format, a judge's verdict), chat backends that answer
so (a generator, a judge), and an answer judge for RL rewards.

Import as `from tests.trainer.scripted_models import ...`."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from compiler import format_completion
from trainer.backends import Conversation, FakeBackend, SamplingParams


def verdict_json(score: int = 5, style: str = "comply", violated: tuple[str, ...] = (),
                 rationale: str = "fine", cited: bool | None = True) -> str:
    """A judge's verdict, as the judge model writes it."""
    return json.dumps({"score": score, "style": style, "violated_rules": list(violated),
                       "cited_rules_valid": cited, "rationale": rationale})


def completion(answer: str = "Use `kill PID`.", decision: str = "comply",
               reasoning: str = "Technical use of kill, `weapons.c1` allows it.") -> str:
    """A completion in the format a compiled prompt asks for (reasoning, decision, answer)."""
    return format_completion(reasoning, answer, decision)  # type: ignore[arg-type]


def generator(model_id: str = "fake-gen") -> FakeBackend:
    """Answers in the format, the sample's seed (if any) and the question in the answer."""

    def reply(conversation: Conversation, params: SamplingParams) -> str:
        question = conversation[-1]["content"]
        return completion(answer=f"Answer to: {question} (seed {params.seed})")

    return FakeBackend(reply, model_id=model_id)


def judge(score: int = 5, model_id: str = "fake-judge") -> FakeBackend:
    """A judge backend whose every verdict is `score` (no choice probabilities)."""
    return FakeBackend(verdict_json(score), probs=lambda *_: None, model_id=model_id)


def generate_calls(backend: FakeBackend) -> list[Conversation]:
    """Every conversation sent to `generate`, across calls."""
    return [c for call in backend.calls if call.method == "generate" for c in call.conversations]


@dataclass(frozen=True)
class FakeGrade:
    """The part of `trainer.judging.Grade` the judge reward reads."""

    score: float | None

    @property
    def normalised(self) -> float | None:
        return None if self.score is None else (self.score - 1) / 4


def _length_score(request: Any) -> float | None:
    return 1.0 + len(request.completion) % 5


@dataclass
class FakeJudge:
    """An answer judge for RL rewards: grades with `scorer(request)` (1..5 or None) and records every batch
    it was asked to grade."""

    scorer: Callable[[Any], float | None] = _length_score
    batches: list[list[Any]] = field(default_factory=list)

    def grade(self, requests: Sequence[Any]) -> list[FakeGrade]:
        self.batches.append(list(requests))
        return [FakeGrade(self.scorer(r)) for r in requests]
