"""`delib test`: run a spec's example comparisons as unit tests of the judge (and, optionally, of a model).

For every case (`policy_cases.build_cases`) the judge grades each candidate as a final answer (the
answer-only rubric: candidates carry no reasoning), with the example's messages as the prompt. The case
passes when every pair is ranked the right way round: a GOOD candidate scores strictly above every OK
and BAD one, an OK strictly above every BAD. A tie is a failure (the judge does not tell them apart).
A pair with an unscored candidate is *unscored*, never wrong; a case with unscored pairs and no wrong
one is reported as unscored, and counts against CI like a failure (the judge cannot enforce it).

Scores come from the judge's digit probabilities; by default no verdict text is generated (the ranking
needs scores only), which halves the judge's work. With a model under test, the model answers the
example's prompt (without the spec, as deployed) and must be graded at least as well as the
lowest-graded GOOD candidate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from trainer.backends import ChatBackend, SamplingParams
from trainer.evaluation._batches import Grader, Progress, generate_all, grade_all
from trainer.evaluation.policy_cases import RANK, PolicyCase, RuleCoverage, SkippedExample
from trainer.judging import Grade, JudgeConfig, JudgeRequest

Outcome = Literal["correct", "wrong", "tie", "unscored"]
Status = Literal["passed", "failed", "unscored", "no_pairs"]
_FROZEN = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class PolicyTestConfig(BaseModel):
    """How `delib test` runs."""

    model_config = _FROZEN

    seed: int = 0
    """Seed of the judge's verdicts and of the model's answers (both decode greedily)."""
    verdicts: bool = False
    """Also generate each verdict (style, rationale); scores come from the digit probabilities either way, so
    without verdicts the judge reads each long rubric once instead of twice (see `scoring.ScoreOnlyGrader`)."""
    verdict_tokens: int = Field(default=128, ge=1)
    """Token limit of each verdict (with `verdicts`)."""
    max_new_tokens: int = Field(default=256, ge=1)
    """Token limit of the model's answers (with a model under test)."""

    def judge_config(self) -> JudgeConfig:
        """One greedy, seeded, answer-only run per candidate, scored from the digit probabilities."""
        return JudgeConfig(runs=1, show_reasoning=False, use_choice_probs=True, seed=self.seed,
                           max_new_tokens=self.verdict_tokens)


class CandidateResult(BaseModel):
    model_config = _FROZEN

    kind: str
    target: str | None
    where: str
    score: float | None
    style: str | None
    unscored_reason: str | None
    rationale: str | None


class PairResult(BaseModel):
    """`better` should outrank `worse` (indices into the case's candidates)."""

    model_config = _FROZEN

    better: int
    worse: int
    outcome: Outcome


class ModelCheck(BaseModel):
    """The model's own answer to the example, against the lowest-graded GOOD candidate."""

    model_config = _FROZEN

    answer: str
    score: float | None
    bar: float | None
    passed: bool | None
    """None when either grade is unscored (or the example has no GOOD candidate)."""
    unscored_reason: str | None


class CaseResult(BaseModel):
    model_config = _FROZEN

    id: str
    title: str
    category: str
    category_source: str
    where: str
    status: Status
    candidates: tuple[CandidateResult, ...]
    pairs: tuple[PairResult, ...]
    model: ModelCheck | None = None


class CategorySummary(BaseModel):
    model_config = _FROZEN

    category: str
    cases: int
    passed: int
    failed: int
    unscored: int
    pairs_correct: int
    pairs_scored: int
    pairs_total: int

    @property
    def share(self) -> float | None:
        """Share of scored pairs ranked correctly."""
        return self.pairs_correct / self.pairs_scored if self.pairs_scored else None


class PolicyTestReport(BaseModel):
    """Everything `delib test` found, as printed and as JSON."""

    model_config = _FROZEN

    spec: str
    revision: str
    judge: str
    model: str | None
    config: PolicyTestConfig
    cases: tuple[CaseResult, ...]
    categories: tuple[CategorySummary, ...]
    coverage: tuple[RuleCoverage, ...]
    skipped: tuple[SkippedExample, ...]

    @property
    def total(self) -> CategorySummary:
        c = self.categories
        return CategorySummary(category="all", cases=sum(x.cases for x in c), passed=sum(x.passed for x in c),
                               failed=sum(x.failed for x in c), unscored=sum(x.unscored for x in c),
                               pairs_correct=sum(x.pairs_correct for x in c),
                               pairs_scored=sum(x.pairs_scored for x in c), pairs_total=sum(x.pairs_total for x in c))

    @property
    def ok(self) -> bool:
        """True when no case failed or was left unscored (the exit status for CI)."""
        return all(c.status in ("passed", "no_pairs") for c in self.cases)

    def as_json(self) -> dict[str, object]:
        total = self.total
        return {
            "spec": self.spec, "revision": self.revision, "judge": self.judge, "model": self.model,
            "config": self.config.model_dump(), "ok": self.ok,
            "summary": {**total.model_dump(exclude={"category"}), "pairs_share": _round(total.share),
                        "cases_share": _round(total.passed / total.cases if total.cases else None)},
            "categories": [{**c.model_dump(), "pairs_share": _round(c.share)} for c in self.categories],
            "cases": [c.model_dump() for c in self.cases],
            "coverage": [c.model_dump() for c in self.coverage],
            "unexercised_rules": [r for c in self.coverage for r in c.unexercised],
            "skipped": [s.model_dump() for s in self.skipped],
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def rank_pairs(kinds: Sequence[str], scores: Sequence[float | None]) -> tuple[PairResult, ...]:
    """Every (better, worse) pair by label rank, with its outcome under `scores`."""
    pairs: list[PairResult] = []
    for i, ki in enumerate(kinds):
        for j, kj in enumerate(kinds):
            if RANK[ki] <= RANK[kj]:
                continue
            si, sj = scores[i], scores[j]
            outcome: Outcome
            if si is None or sj is None:
                outcome = "unscored"
            elif math.isclose(si, sj, abs_tol=1e-9):
                outcome = "tie"
            else:
                outcome = "correct" if si > sj else "wrong"
            pairs.append(PairResult(better=i, worse=j, outcome=outcome))
    return tuple(pairs)


def _status(pairs: Sequence[PairResult], model: ModelCheck | None) -> Status:
    outcomes = {p.outcome for p in pairs}
    if outcomes & {"wrong", "tie"} or (model is not None and model.passed is False):
        return "failed"
    if "unscored" in outcomes or (model is not None and model.passed is None):
        return "unscored"
    return "passed" if pairs or model is not None else "no_pairs"


def _candidate(case: PolicyCase, i: int, grade: Grade) -> CandidateResult:
    c = case.candidates[i]
    return CandidateResult(kind=c.kind, target=c.target, where=c.where, score=grade.score,
                           style=grade.style, unscored_reason=grade.unscored_reason, rationale=grade.rationale)


def _model_check(answer: str, grade: Grade, good: Sequence[float | None]) -> ModelCheck:
    bar = min((s for s in good if s is not None), default=None)
    if grade.score is None or bar is None:
        why = grade.unscored_reason or ("no GOOD candidate was scored" if good else "the example has no GOOD candidate")
        return ModelCheck(answer=answer, score=grade.score, bar=bar, passed=None, unscored_reason=why)
    return ModelCheck(answer=answer, score=grade.score, bar=bar, passed=grade.score >= bar - 1e-9,
                      unscored_reason=None)


def _model_answers(model: ChatBackend, cases: Sequence[PolicyCase], config: PolicyTestConfig,
                   progress: Progress | None) -> list[str]:
    params = SamplingParams(temperature=0.0, max_new_tokens=config.max_new_tokens, seed=config.seed)
    generations = generate_all(model, [list(c.prompt) for c in cases], params, progress=progress)
    return [g.text if g.finish_reason != "error" else "" for g in generations]


def run_cases(cases: Sequence[PolicyCase], grader: Grader, *, config: PolicyTestConfig | None = None,
              model: ChatBackend | None = None, progress: Progress | None = None) -> tuple[CaseResult, ...]:
    """Grade every candidate of every case (and the model's answers, with `model`); one result per case."""
    config = config or PolicyTestConfig()
    requests = [JudgeRequest(category=c.category, prompt=c.prompt, completion=cand.text)
                for c in cases for cand in c.candidates]
    answers = _model_answers(model, cases, config, progress) if model is not None else []
    if model is not None:
        requests += [JudgeRequest(category=c.category, prompt=c.prompt, completion=a)
                     for c, a in zip(cases, answers, strict=True)]
    grades = grade_all(grader, requests, progress=progress)
    results: list[CaseResult] = []
    at = 0
    for number, case in enumerate(cases):
        own = grades[at:at + len(case.candidates)]
        at += len(case.candidates)
        scores = [g.score for g in own]
        pairs = rank_pairs([c.kind for c in case.candidates], scores)
        check = None
        if model is not None:
            good = [s for s, c in zip(scores, case.candidates, strict=True) if c.kind == "GOOD"]
            check = _model_check(answers[number], grades[len(grades) - len(cases) + number], good)
        results.append(CaseResult(
            id=case.id, title=case.title, category=case.category, category_source=case.category_source,
            where=case.where, status=_status(pairs, check), pairs=pairs, model=check,
            candidates=tuple(_candidate(case, i, g) for i, g in enumerate(own))))
    return tuple(results)


def summarise(results: Sequence[CaseResult]) -> tuple[CategorySummary, ...]:
    """Per category, in first-seen order: cases by status and pairs by outcome."""
    order = list(dict.fromkeys(r.category for r in results))
    out = []
    for category in order:
        own = [r for r in results if r.category == category]
        pairs = [p for r in own for p in r.pairs]
        out.append(CategorySummary(
            category=category, cases=len(own), passed=sum(r.status == "passed" for r in own),
            failed=sum(r.status == "failed" for r in own), unscored=sum(r.status == "unscored" for r in own),
            pairs_correct=sum(p.outcome == "correct" for p in pairs),
            pairs_scored=sum(p.outcome != "unscored" for p in pairs), pairs_total=len(pairs)))
    return tuple(out)
