"""Choosing each prompt's training row, and the output rows of every candidate. Pure functions.

Per prompt, the kept candidate is the best-scoring one that could be a training row (generated, in the
format, not truncated) with a complete judgement (every one of the k runs succeeded, was read as a verdict
and scored) whose score is >= the threshold; ties go to the lowest sample index. A judgement with a failed
run is an `error` (the next run judges it again), one with an unreadable verdict is `unscored`, even when
the choice probabilities gave a score. Every other candidate gets its status and the reason, so
`candidates.jsonl` doubles as preference data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trainer.generation._records import Candidate, Status


@dataclass(frozen=True)
class Outcome:
    """A candidate's fate in this run's outputs."""

    candidate: Candidate
    status: Status
    reason: str | None


def _score(candidate: Candidate) -> float | None:
    return candidate.judgement.score if candidate.judgement is not None else None


def _eligible(candidate: Candidate, threshold: float) -> bool:
    score = _score(candidate)
    complete = candidate.judgement is not None and candidate.judgement.complete
    return candidate.keepable and complete and score is not None and score >= threshold


def _not_kept(candidate: Candidate, threshold: float, best: Candidate | None) -> Outcome:
    verdict = candidate.judgement
    if not candidate.generated:
        return Outcome(candidate, "error", f"generation failed: {candidate.generation_error or 'unknown error'}")
    if verdict is not None and verdict.failed:
        return Outcome(candidate, "error", verdict.why_incomplete())
    if candidate.finish_reason == "length":
        return Outcome(candidate, "rejected", f"truncated at max_new_tokens ({candidate.sampling.max_new_tokens})")
    if not candidate.well_formed:
        return Outcome(candidate, "rejected", "not in the completion format: " + "; ".join(candidate.format_problems))
    if verdict is None:
        return Outcome(candidate, "unscored", "not judged")
    if verdict.score is None:
        return Outcome(candidate, "unscored", verdict.unscored_reason or "the judge gave no score")
    if not verdict.complete:
        return Outcome(candidate, "unscored", verdict.why_incomplete())
    if verdict.score < threshold:
        return Outcome(candidate, "rejected", f"score {verdict.score:.2f} below the threshold {threshold:g}")
    kept = best.judgement.score if best is not None and best.judgement is not None else None
    if best is None or kept is None:
        return Outcome(candidate, "rejected", "another sample was kept")
    return Outcome(candidate, "rejected", f"sample {best.sample_index} was kept (score {kept:.2f})")


def select(candidates: Sequence[Candidate], threshold: float) -> list[Outcome]:
    """Every candidate's outcome, in input order; at most one `kept` per prompt key."""
    best: dict[str, Candidate] = {}
    for candidate in candidates:
        if not _eligible(candidate, threshold):
            continue
        current = best.get(candidate.prompt_key)
        rank = (_score(candidate) or 0.0, -candidate.sample_index)
        if current is None or rank > (_score(current) or 0.0, -current.sample_index):
            best[candidate.prompt_key] = candidate
    out = []
    for candidate in candidates:
        winner = best.get(candidate.prompt_key)
        if winner is not None and winner.key == candidate.key:
            out.append(Outcome(candidate, "kept", None))
        else:
            out.append(_not_kept(candidate, threshold, winner))
    return out


def output_row(outcome: Outcome) -> dict[str, Any]:
    """One row of `data.jsonl` / `candidates.jsonl`: TRL's conversational prompt-completion columns
    (`prompt` without the spec system prompt, `completion` as one assistant turn) plus provenance."""
    c = outcome.candidate
    j = c.judgement
    return {
        "prompt": [dict(m) for m in c.prompt],
        "completion": [{"role": "assistant", "content": c.completion}],
        "category": c.category,
        "retrieval_score": c.retrieval_score,
        "uncategorised": c.uncategorised,
        "status": outcome.status,
        "reject_reason": outcome.reason,
        "judge_score": j.score if j else None,
        "judge_run_scores": list(j.run_scores) if j else [],
        "judge_rationales": list(j.rationales) if j else [],
        "judge_raw": list(j.raw) if j else [],
        "judge_unscored_reason": j.unscored_reason if j else None,
        "violated_rules": list(j.violated_rules) if j else [],
        "judged_style": j.style if j else None,
        "judge_panel": [v.model_dump(mode="json") for v in j.members] if j else [],
        "decision": c.decision,
        "expected": list(c.expected),
        "model_decision": c.model_decision,
        "rationalised": c.rationalised,
        "well_formed": c.well_formed,
        "format_problems": list(c.format_problems),
        "finish_reason": c.finish_reason,
        "generation_error": c.generation_error,
        "prompt_tokens": c.prompt_tokens,
        "completion_tokens": c.completion_tokens,
        "sample_index": c.sample_index,
        "key": c.key,
        "prompt_key": c.prompt_key,
        "source": c.source,
        "spec_revision": c.spec_revision,
        "category_hash": c.category_hash,
        "template_hash": c.template_hash,
        "system_prompt_hash": c.system_prompt_hash,
        "generator_model": c.generator_model,
        "judge_model": j.model if j else None,
        "sampling": c.sampling.model_dump(mode="json"),
    }
