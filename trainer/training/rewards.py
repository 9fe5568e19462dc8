"""RL rewards as plain callables in TRL's reward-function form, each scoring a completion in 0..1.

    rewards = [JudgeReward(judge), FormatReward(), CitationReward.from_bundle(bundle)]
    GRPOTrainer(..., reward_funcs=rewards, args=GRPOConfig(reward_weights=[1.0, 0.2, 0.2]))

TRL calls each with `prompts`, `completions` (conversational: one assistant message per completion),
the dataset's extra columns as lists (`category`) and `log_metric`. Every reward logs its mean per
category through `log_metric` as `rewards_by_category/<category>/<reward>`; TRL averages those over a
logging step next to its own `rewards/<reward>/mean`.

- `JudgeReward`: the spec-aware judge's score of the final answer, the reasoning hidden from it (the
  judge is built with `JudgeConfig(show_reasoning=False)`, as in the paper). The prompts' `expected`
  column (`refuse|safe_complete`, empty when unknown) reaches the judge, so a `PanelJudge` scores the
  answer against the response the prompt set expects. One batched `grade` call
  per step; it is async (TRL runs async rewards on its event loop) and runs `grade` in a worker thread,
  so an HTTP judge never blocks the loop. An unscored grade is `None`: TRL leaves it out of the sum
  instead of counting it as 0.
- `FormatReward`: 1 for a completion well formed in the bundle's reasoning format (`compiler.reasoning`:
  `<reasoning>`/`<answer>`, `<think>` then the answer, or harmony's channels), 0.25 off per format problem,
  0 without a reasoning block.
- `CitationReward`: the share of the ids cited in the reasoning that belong to the prompt's category;
  0 when nothing is cited.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Protocol

from compiler.format import DECISIONS, parse_completion
from compiler.reasoning import TAGS, ReasoningFormat

METRIC_PREFIX = "rewards_by_category"


class GradeLike(Protocol):
    """What the reward reads from a judge's grade (`trainer.judging.Grade`)."""

    @property
    def score(self) -> float | None: ...

    @property
    def normalised(self) -> float | None: ...


class AnswerJudge(Protocol):
    """A judge grading completions in batches (`trainer.judging.Judge`)."""

    def grade(self, requests: Sequence[Any]) -> Sequence[GradeLike]: ...


RequestFactory = Callable[[str, tuple[dict[str, str], ...], str, tuple[str, ...]], Any]
"""`(category, prompt messages, completion text, expected responses) -> judge request`."""


def judge_request(category: str, prompt: tuple[dict[str, str], ...], completion: str,
                  expected: tuple[str, ...] = ()) -> Any:
    """A `trainer.judging.JudgeRequest` (imported when first needed)."""
    from trainer.judging import JudgeRequest

    return JudgeRequest(category=category, prompt=prompt, completion=completion, expected=expected)


REASONING_KEYS = ("reasoning_content", "thinking", "reasoning")
"""Message keys a parsed conversational completion may keep the reasoning under (TRL's response schemas)."""


def completion_text(completion: Any, fmt: ReasoningFormat = TAGS) -> str:
    """The text of a TRL completion in the format `fmt`: a string, or the last message of a conversational
    completion (its reasoning joined back in when a response schema parsed it into a key of its own)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Sequence) and completion and isinstance(completion[-1], Mapping):
        message = completion[-1]
        reasoning = next((str(message[k]) for k in REASONING_KEYS if message.get(k)), None)
        return fmt.join(str(message.get("content") or ""), reasoning)
    return ""


def log_by_category(log_metric: Callable[[str, float], None] | None, name: str,
                    categories: Sequence[str] | None, values: Sequence[float | None]) -> None:
    """One `log_metric` call per scored completion, so TRL's average is the per-category mean."""
    if log_metric is None or categories is None:
        return
    for category, value in zip(categories, values, strict=True):
        if value is not None:
            log_metric(f"{METRIC_PREFIX}/{category}/{name}", float(value))


def format_score(text: str, fmt: ReasoningFormat = TAGS) -> float:
    """1 when well formed in `fmt`, minus 0.25 per format problem (not below 0); 0 without a reasoning block."""
    if fmt.split(text).reasoning is None:
        return 0.0
    return max(0.0, 1.0 - 0.25 * len(parse_completion(text, (), fmt).problems))


def citation_score(text: str, allowed: Collection[str], known: Collection[str], fmt: ReasoningFormat = TAGS) -> float:
    """Share of cited ids (decision words aside) that are in `allowed`; 0 when nothing is cited."""
    parsed = parse_completion(text, known, fmt)
    cited = [i for i in parsed.cited_ids if i not in DECISIONS]
    if not cited:
        return 0.0
    return sum(i in allowed for i in cited) / len(cited)


class FormatReward:
    """The format reward in the reasoning format `fmt` (see the module docstring)."""

    __name__ = "format"

    def __init__(self, fmt: ReasoningFormat = TAGS) -> None:
        self.fmt = fmt

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], category: Sequence[str] | None = None,
                 log_metric: Callable[[str, float], None] | None = None, **_: Any) -> list[float | None]:
        values: list[float | None] = [format_score(completion_text(c, self.fmt), self.fmt) for c in completions]
        log_by_category(log_metric, self.__name__, category, values)
        return values


class CitationReward:
    """The citation reward; `allowed[category]` are the ids a completion in that category may cite."""

    __name__ = "citation"

    def __init__(self, allowed: Mapping[str, Collection[str]], fmt: ReasoningFormat = TAGS) -> None:
        self._allowed = {c: frozenset(ids) for c, ids in allowed.items()}
        self._known = frozenset().union(*self._allowed.values()) if self._allowed else frozenset()
        self.fmt = fmt

    @classmethod
    def from_bundle(cls, bundle: Any) -> CitationReward:
        """Allowed ids per category from a compiled bundle (`Bundle.valid_ids`), in its reasoning format."""
        return cls({c: bundle.valid_ids(c) for c in bundle.categories}, bundle.reasoning)

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], category: Sequence[str] | None = None,
                 log_metric: Callable[[str, float], None] | None = None, **_: Any) -> list[float | None]:
        if category is None:
            raise ValueError("the citation reward needs a `category` column in the RL prompts")
        values: list[float | None] = [
            citation_score(completion_text(c, self.fmt), self._allowed.get(cat, frozenset()), self._known, self.fmt)
            for c, cat in zip(completions, category, strict=True)
        ]
        log_by_category(log_metric, self.__name__, category, values)
        return values


class JudgeReward:
    """The judge reward: `judge.grade` on every completion of the step in one batch, normalised to 0..1."""

    __name__ = "judge"

    def __init__(self, judge: AnswerJudge, make_request: RequestFactory = judge_request,
                 fmt: ReasoningFormat = TAGS) -> None:
        if getattr(getattr(judge, "config", None), "show_reasoning", False):
            raise ValueError("the RL judge must not see the reasoning: build it with JudgeConfig(show_reasoning=False)")
        self._judge = judge
        self._make_request = make_request
        self.fmt = fmt

    def score(self, prompts: Sequence[Any], completions: Sequence[Any], category: Sequence[str],
              expected: Sequence[str] | None = None) -> list[float | None]:
        """The synchronous core: one batched `grade` call (`expected`: per prompt, `a|b` or empty)."""
        wanted = [tuple(e for e in (x or "").split("|") if e) for x in (expected or [""] * len(prompts))]
        requests = [
            self._make_request(cat, tuple(dict(m) for m in p) if not isinstance(p, str) else
                               ({"role": "user", "content": p},), completion_text(c, self.fmt), want)
            for p, c, cat, want in zip(prompts, completions, category, wanted, strict=True)
        ]
        grades = self._judge.grade(requests)
        if len(grades) != len(requests):
            raise RuntimeError(f"the judge returned {len(grades)} grades for {len(requests)} completions")
        return [None if g.score is None else g.normalised for g in grades]

    async def __call__(self, prompts: Sequence[Any], completions: Sequence[Any],
                       category: Sequence[str] | None = None, expected: Sequence[str] | None = None,
                       log_metric: Callable[[str, float], None] | None = None, **_: Any) -> list[float | None]:
        if category is None:
            raise ValueError("the judge reward needs a `category` column in the RL prompts")
        values = await asyncio.to_thread(self.score, prompts, completions, category, expected)
        log_by_category(log_metric, self.__name__, category, values)
        return values
