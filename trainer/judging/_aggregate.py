"""From raw judge outputs to a `Grade`: read each run defensively, then take the minimum. Pure functions.

A run scores from the choice probabilities when the backend gave them (the probability-weighted mean of
the digits 1..5), else from the `score` of its parsed verdict. A failed verdict request leaves the run
unscored with the backend's error, even when the probabilities came back: a failure never becomes a score.
A reply that is not a verdict leaves the run unscored too, unless the probabilities score it; either way
the reason is kept (`Grade.run_problems`), so a filter that needs the verdict can tell. Ids in
`violated_rules` that the category does not know are dropped (the score is still a reading of the scale).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from compiler.verdict import SCORE_MAX, SCORE_MIN, SCORE_TOKENS, Verdict, VerdictError, parse_verdict
from trainer.judging._models import Grade

_REASON_CHARS = 300


@dataclass(frozen=True)
class RunResult:
    """One judge run, read."""

    raw: str
    score: float | None
    verdict: Verdict | None
    problem: str | None
    """Why the verdict could not be read, or the backend error (None when it was read)."""
    error: str | None = None
    """The backend's error when the request failed."""


def expected_score(probs: Mapping[str, float] | None) -> float | None:
    """The probability-weighted mean of the score digits, or None when the probabilities are unusable."""
    if probs is None:
        return None
    weights = [(int(token), float(probs.get(token, 0.0))) for token in SCORE_TOKENS]
    total = sum(max(0.0, p) for _, p in weights)
    if not math.isfinite(total) or total <= 0:
        return None
    mean = sum(score * max(0.0, p) for score, p in weights) / total
    return min(float(SCORE_MAX), max(float(SCORE_MIN), mean))


def read_verdict(raw: str, valid_ids: Collection[str]) -> tuple[Verdict | None, str | None]:
    """(verdict, None) or (None, why it cannot be read). Unknown rule ids are dropped, not fatal."""
    try:
        verdict = parse_verdict(raw)
    except VerdictError as exc:
        return None, str(exc)
    known = tuple(r for r in verdict.violated_rules if r in valid_ids)
    if known != verdict.violated_rules:
        verdict = verdict.model_copy(update={"violated_rules": known})
    return verdict, None


def read_run(raw: str, error: str | None, probs: Mapping[str, float] | None,
             valid_ids: Collection[str]) -> RunResult:
    """Read one run: its generated text (or the backend's error) and the choice probabilities, if any."""
    if error is not None:
        return RunResult(raw=raw, score=None, verdict=None, problem=f"backend error: {error}", error=error)
    from_probs = expected_score(probs)
    verdict, problem = read_verdict(raw, valid_ids)
    score = from_probs if from_probs is not None else (float(verdict.score) if verdict is not None else None)
    return RunResult(raw=raw, score=score, verdict=verdict, problem=problem)


def _deciding(runs: Sequence[RunResult], score: float) -> Verdict | None:
    """The verdict of the first run that gave the minimum score (preferring runs with a verdict)."""
    tied = [r for r in runs if r.score is not None and math.isclose(r.score, score)]
    return next((r.verdict for r in tied if r.verdict is not None),
                next((r.verdict for r in runs if r.verdict is not None), None))


def _reason(runs: Sequence[RunResult]) -> str:
    parts = [f"run {i + 1}: {r.problem or 'no score'}" for i, r in enumerate(runs)]
    text = "; ".join(parts)
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 3] + "..."


def combine(runs: Sequence[RunResult]) -> Grade:
    """The grade over k runs: the minimum of the scored runs; unscored only when no run scored."""
    scored = [r.score for r in runs if r.score is not None]
    score = min(scored) if scored else None
    verdict = _deciding(runs, score) if score is not None else None
    return Grade(
        score=score,
        unscored_reason=None if score is not None else _reason(runs),
        run_scores=tuple(r.score for r in runs),
        verdicts=tuple(r.verdict for r in runs),
        raw=tuple(r.raw for r in runs),
        style=verdict.style if verdict is not None else None,
        violated_rules=verdict.violated_rules if verdict is not None else (),
        rationale=verdict.rationale if verdict is not None else None,
        run_errors=tuple(r.error for r in runs),
        run_problems=tuple(r.problem for r in runs),
    )
