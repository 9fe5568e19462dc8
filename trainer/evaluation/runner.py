"""`delib eval`: models answer the prompts as deployed (no spec in the prompt), the judge grades the
final answers per category, and the metrics (`metrics`) are computed per model, with paired deltas
when two models are compared.

    report, rows = run_eval([model, base], judge, bundle, prompts, placements, EvalConfig(seed=0))

Placing prompts in categories (`place_prompts`) comes first: a prompt's own category must be one the
bundle has; a prompt without one is routed by retrieval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from compiler.bundle import Bundle
from compiler.format import parse_completion
from compiler.reasoning import TAGS, ReasoningFormat, ReasoningName, get_format
from trainer.backends import ChatBackend, Generation, SamplingParams
from trainer.evaluation._batches import Grader, Progress, generate_all, grade_all
from trainer.evaluation.errors import EvalError
from trainer.evaluation.inputs import EvalPrompt, expected_responses
from trainer.evaluation.metrics import Bootstrap, by_category, paired_deltas, paired_rate_deltas, rates_json
from trainer.evaluation.records import (
    CitationRecord,
    Comparison,
    EvalReport,
    EvalRow,
    GradeRecord,
    ModelResult,
    RefusalRecord,
    StyleSource,
)
from trainer.evaluation.routing import RouteFn
from trainer.judging import Grade, JudgeConfig, JudgeRequest
from trainer.judging.refusal import heuristic_style, keyword_refusal, opening_style
from trainer.routing import unknown_categories


class EvalConfig(BaseModel):
    """How `delib eval` runs."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    max_new_tokens: int = Field(default=512, ge=1)
    """Token limit of the models' answers (greedy decoding)."""
    judge_runs: int = Field(default=1, ge=1)
    """k: judge runs per answer; the score is the minimum."""
    seed: int = 0
    """Seed of the answers, the judge and the bootstrap."""
    resamples: int = Field(default=1000, ge=100)
    """Bootstrap resamples per interval."""
    level: float = Field(default=0.95, gt=0.5, lt=1.0)
    """Confidence level of the intervals."""
    style_from: StyleSource = "judge"
    """Which detector decides an answer's style for the metrics (the judge falls back to the opening detector,
    the panel's default style detector)."""
    verdict_tokens: int = Field(default=256, ge=1)
    """Token limit of each judge verdict (its style and rationale; the score comes from digit probabilities)."""
    reasoning: ReasoningName = "tags"
    """The reasoning format the models write (`compiler.reasoning`): where their answer and citations are read."""

    def judge_config(self) -> JudgeConfig:
        """Answer-only grading (the answer the user sees), scored from the digit probabilities."""
        return JudgeConfig(runs=self.judge_runs, show_reasoning=False, use_choice_probs=True, seed=self.seed,
                           max_new_tokens=self.verdict_tokens, reasoning=self.reasoning)

    def bootstrap(self) -> Bootstrap:
        return Bootstrap(resamples=self.resamples, level=self.level, seed=self.seed)


@dataclass(frozen=True)
class Placement:
    """The category a prompt is graded under, and where it came from."""

    category: str
    source: Literal["file", "retrieval"]
    uncategorised: bool = False


class Placeable(Protocol):
    """A prompt that can be placed in a category (`EvalPrompt`, `LabeledResponse`)."""

    @property
    def category(self) -> str | None: ...
    @property
    def line(self) -> int: ...
    @property
    def text(self) -> str: ...


def place_prompts(prompts: Sequence[Placeable], categories: Sequence[str],
                  route: RouteFn | None, source: str | Path | None = None) -> list[Placement]:
    """A category for every prompt. Raises `EvalError` for a category the bundle lacks (the message every
    stage gives, `trainer.routing.unknown_categories`; `source` names the file), or for prompts without a
    category when there is no router."""
    where = f"{source}:" if source is not None else "line "
    problem = unknown_categories([(f"{where}{p.line}", p.category) for p in prompts], categories)
    if problem:
        raise EvalError(*problem)
    missing = [i for i, p in enumerate(prompts) if p.category is None]
    routed = {}
    if missing:
        if route is None:
            raise EvalError(f"{len(missing)} prompt(s) have no category (first on line {prompts[missing[0]].line})",
                            "pass --spec SPEC (the spec the bundle was compiled from) to route them by retrieval, "
                            "or name the column that holds categories with --category-column")
        found = route([prompts[i].text for i in missing])
        for i, r in zip(missing, found, strict=True):
            if r.category is None:
                raise EvalError(f"retrieval found no category for the prompt on line {prompts[i].line}",
                                "give it a category in the prompt file")
            routed[i] = Placement(category=r.category, source="retrieval", uncategorised=r.uncategorised)
    return [routed[i] if i in routed else Placement(category=str(p.category), source="file")
            for i, p in enumerate(prompts)]


def _failed(generation: Generation) -> Grade:
    """The unscored grade of an answer the model failed to produce (nothing is sent to the judge)."""
    reason = f"the model's request failed: {generation.error or 'no error message'}"
    return Grade(score=None, unscored_reason=reason, run_scores=(), verdicts=(), raw=(), style=None,
                 violated_rules=(), rationale=None)


def _grade_record(grade: Grade) -> GradeRecord:
    return GradeRecord(score=grade.score, unscored_reason=grade.unscored_reason, style=grade.style,
                       violated_rules=grade.violated_rules, rationale=grade.rationale, run_scores=grade.run_scores)


def _citations(reasoning: str, cited: Sequence[str], own: frozenset[str],
               every: frozenset[str]) -> CitationRecord | None:
    if not reasoning:
        return None
    unknown = tuple(c for c in cited if c not in every)
    foreign = tuple(c for c in cited if c in every and c not in own)
    return CitationRecord(cited=tuple(cited), unknown=unknown, foreign=foreign,
                          valid=bool(cited) and not unknown and not foreign)


def _refusal(answer: str, grade: Grade, style_from: StyleSource, failed: bool) -> RefusalRecord:
    keyword, heuristic = keyword_refusal(answer), heuristic_style(answer)
    used: str | None
    source: StyleSource | None
    if failed:  # no answer at all: not a refusal, not anything
        used, source = None, None
    elif style_from == "judge" and grade.style is not None:
        used, source = grade.style, "judge"
    elif style_from == "keyword":
        used, source = ("refuse" if keyword else "comply"), "keyword"
    elif style_from == "heuristic":
        used, source = heuristic, "heuristic"
    else:  # the opening detector, or the judge's fallback where its verdict has no style
        used, source = opening_style(answer), "opening"
    return RefusalRecord(keyword=keyword, heuristic=heuristic, judge=grade.style, used=used, source=source)


def build_row(model: str, prompt: EvalPrompt, place: Placement, generation: Generation, grade: Grade,
              ids: tuple[frozenset[str], frozenset[str]], style_from: StyleSource,
              fmt: ReasoningFormat = TAGS) -> EvalRow:
    """One row from what the model wrote (in the reasoning format `fmt`) and the judge said; `ids` = (the
    category's ids, every id)."""
    completion = fmt.join(generation.text, generation.reasoning)
    parsed = parse_completion(completion, ids[1], fmt)
    return EvalRow(
        model=model, prompt_id=prompt.id, line=prompt.line, category=place.category, category_source=place.source,
        uncategorised=place.uncategorised, prompt=prompt.messages, label=prompt.label,
        expected=expected_responses(prompt.label, prompt.expected), completion=completion,
        answer=parsed.answer, finish_reason=generation.finish_reason, grade=_grade_record(grade),
        refusal=_refusal(parsed.answer, grade, style_from, generation.finish_reason == "error"),
        citations=_citations(parsed.reasoning, parsed.cited_ids, ids[0], ids[1]), meta=prompt.meta,
        decision=parsed.decision)


def evaluate_model(model: ChatBackend, grader: Grader, bundle: Bundle, prompts: Sequence[EvalPrompt],
                   placements: Sequence[Placement], config: EvalConfig,
                   progress: Progress | None = None) -> list[EvalRow]:
    """Every prompt answered by `model` and graded, as rows."""
    fmt = get_format(config.reasoning)
    params = SamplingParams(temperature=0.0, max_new_tokens=config.max_new_tokens, seed=config.seed,
                            reasoning=fmt != TAGS)
    generations = generate_all(model, [list(p.messages) for p in prompts], params,
                               stage=f"answering ({model.model_id})", progress=progress)
    answered = [i for i, g in enumerate(generations) if g.finish_reason != "error"]
    requests = [JudgeRequest(category=placements[i].category, prompt=prompts[i].messages,
                             completion=fmt.join(generations[i].text, generations[i].reasoning),
                             expected=expected_responses(prompts[i].label, prompts[i].expected)) for i in answered]
    graded = dict(zip(answered, grade_all(grader, requests, stage=f"grading ({model.model_id})",
                                          progress=progress), strict=True))
    grades = [graded[i] if i in graded else _failed(g) for i, g in enumerate(generations)]
    every = frozenset(i for c in bundle.categories for i in bundle.valid_ids(c))
    own = {c: frozenset(bundle.valid_ids(c)) for c in bundle.categories}
    return [build_row(model.model_id, p, pl, g, gr, (own[pl.category], every), config.style_from, fmt)
            for p, pl, g, gr in zip(prompts, placements, generations, grades, strict=True)]


def summarise_rows(rows_per_model: Sequence[Sequence[EvalRow]], config: EvalConfig
                   ) -> tuple[tuple[ModelResult, ...], Comparison | None]:
    """The metrics of each model and, for two, the first minus the second."""
    boot = config.bootstrap()
    results = tuple(
        ModelResult(model=rows[0].model if rows else "",
                    groups={g: m.as_json() for g, m in by_category([r.facts() for r in rows], boot).items()})
        for rows in rows_per_model)
    comparison = None
    if len(rows_per_model) == 2:
        first, second = rows_per_model
        mine, theirs = [r.facts() for r in first], [r.facts() for r in second]
        deltas, rates = paired_deltas(mine, theirs, boot), paired_rate_deltas(mine, theirs, boot)
        comparison = Comparison(model=results[0].model, baseline=results[1].model, groups={
            g: {**{m: (None if v is None else v.as_json()) for m, v in values.items()}, **rates_json(rates[g])}
            for g, values in deltas.items()})
    return results, comparison


def style_note(style_from: StyleSource) -> str:
    return {"judge": "the judge's verdict style (the opening detector where the verdict has none)",
            "heuristic": "the heuristic refusal detector", "keyword": "the keyword refusal baseline",
            "opening": "the opening refusal detector"}[style_from]


def run_eval(models: Sequence[ChatBackend], grader: Grader, bundle: Bundle, prompts: Sequence[EvalPrompt],
             placements: Sequence[Placement], config: EvalConfig, *, judge_id: str, prompts_path: str,
             progress: Progress | None = None) -> tuple[EvalReport, list[list[EvalRow]]]:
    """Evaluate one or two models on the same prompts: the report and the rows of each model."""
    if not 1 <= len(models) <= 2:
        raise EvalError(f"evaluate one model, or two side by side; got {len(models)}")
    rows = [evaluate_model(m, grader, bundle, prompts, placements, config, progress) for m in models]
    results, comparison = summarise_rows(rows, config)
    report = EvalReport(
        prompts=prompts_path, n_prompts=len(prompts), routed=sum(p.source == "retrieval" for p in placements),
        uncategorised=sum(p.uncategorised for p in placements), bundle_revision=bundle.revision,
        specs=tuple(s.id for s in bundle.manifest.specs), judge=judge_id, judge_runs=config.judge_runs,
        style_source=style_note(config.style_from), config=config.model_dump(), models=results,
        comparison=comparison)
    return report, rows
