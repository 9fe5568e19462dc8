"""`run_generation`: the data pipeline, resumable and incremental.

    route rows -> plan units against the work log -> per round of `batch_size` prompts:
        generate N samples each -> log -> judge the keepable ones k times -> log
    -> select the best per prompt -> write data.jsonl, candidates.jsonl, pairs.jsonl, dataset/, README.md

Every round is appended to `OUT/.work/candidates.log.jsonl` (fsync) before the next starts, so a run
killed at any moment loses at most the round in flight; rerunning plans again from the log and does
only what is missing. The outputs are rewritten from the log at the end, as one set (`_outputs`); a run
first deletes the temporaries a killed one left.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from compiler.bundle import Bundle
from compiler.format import parse_completion
from compiler.reasoning import TAGS
from trainer.backends import ChatBackend, ChatMessage, Generation
from trainer.generation._card import render_card
from trainer.generation._config import GenerationConfig
from trainer.generation._guided import Guided, check_guidable, guided_generate
from trainer.generation._judging import JudgeInput, as_graded, judge_identity, judge_model, run_judge
from trainer.generation._outputs import remove_stale, write_outputs
from trainer.generation._plan import Plan, Unit, bundle_templates_hash, dedupe, make_plan, needs_judging, text_hash
from trainer.generation._progress import NullProgress, Progress
from trainer.generation._prompts import PromptRow
from trainer.generation._records import Candidate, Judgement
from trainer.generation._report import GenerationReport, Usage, count
from trainer.generation._route_rows import Routing, route_rows
from trainer.generation._routing import CachedRoute, Categoriser
from trainer.generation._select import output_row, select
from trainer.generation._worklog import WorkDirLock, WorkLog
from trainer.judging import AnyJudge, JudgeRequest

WORK_DIR = ".work"
CANDIDATE_LOG = "candidates.log.jsonl"
ROUTE_LOG = "routes.jsonl"


def candidate_log(out_dir: Path) -> WorkLog[Candidate]:
    return WorkLog(out_dir / WORK_DIR / CANDIDATE_LOG, Candidate, lambda c: c.key)


def route_log(out_dir: Path) -> WorkLog[CachedRoute]:
    return WorkLog(out_dir / WORK_DIR / ROUTE_LOG, CachedRoute, lambda r: r.key)


def _generated(unit: Unit, generation: Generation, bundle: Bundle, generator: str, templates: str,
               guided: Guided | None = None) -> Candidate:
    row = unit.row
    failed = generation.finish_reason == "error"
    text = bundle.reasoning.join(generation.text, generation.reasoning)  # a server's separate reasoning field
    parsed = parse_completion(text, bundle.valid_ids(row.category), bundle.reasoning)
    return Candidate(
        key=unit.key, prompt_key=row.key, prompt=row.prompt, source=row.source, category=row.category,
        retrieval_score=row.retrieval_score, uncategorised=row.uncategorised, sample_index=unit.sample_index,
        spec_revision=bundle.revision, category_hash=bundle.category_hash(row.category), template_hash=templates,
        system_prompt_hash=_system_hash(bundle, row.category), generator_model=generator, sampling=unit.sampling,
        completion=text, finish_reason=generation.finish_reason,
        generation_error=(generation.error or "the backend reported an error") if failed else None,
        prompt_tokens=generation.prompt_tokens, completion_tokens=generation.completion_tokens,
        well_formed=parsed.well_formed and not failed, format_problems=parsed.problems, decision=parsed.decision,
        expected=row.expected, model_decision=guided.model_decision if guided else None,
        rationalised=guided.rationalised if guided else False,
    )


def _system_hash(bundle: Bundle, category: str) -> str:
    return text_hash(bundle.system_prompt(category))


class _Runner:
    """One run's state: the backends, the log, usage counters and progress."""

    def __init__(self, config: GenerationConfig, bundle: Bundle, backend: ChatBackend, judge: AnyJudge,
                 log: WorkLog[Candidate], progress: Progress) -> None:
        self.config, self.bundle, self.backend, self.judge = config, bundle, backend, judge
        self.log, self.progress = log, progress
        self.templates = bundle_templates_hash(bundle)
        self.usage = Usage()

    def generate(self, units: Sequence[Unit]) -> list[Candidate]:
        """Sample the units (one call, or one per sample index when seeded) and log them."""
        groups: dict[int | None, list[Unit]] = {}
        for unit in units:
            groups.setdefault(unit.sample_index if self.config.seed is not None else None, []).append(unit)
        made: dict[str, Candidate] = {}
        for index, group in groups.items():
            conversations = [[ChatMessage(role="system", content=self.bundle.system_prompt(u.row.category)),
                              *u.row.prompt] for u in group]
            params = self.config.sampling(index or 0).model_copy(update={"reasoning": self.bundle.reasoning != TAGS})
            notes: list[Guided | None] = [None] * len(group)
            if self.config.guided:
                notes = list(guided_generate(
                    self.backend, conversations, params, [u.guide for u in group], self.config.reasoning_tokens,
                    self.config.short_answers, None if self.config.answer_with_spec else [
                        [*u.row.prompt] for u in group], self.bundle.reasoning))
                out = [n.generation for n in notes if n is not None]
            else:
                out = self.backend.generate(conversations, params)
            if len(out) != len(group):
                notes = [None] * len(group)
                out = [Generation(text="", prompt_tokens=0, completion_tokens=0, finish_reason="error",
                                  error=f"the backend returned {len(out)} generations for {len(group)}")] * len(group)
            self.usage = Usage(calls=self.usage.calls + 1, items=self.usage.items + len(out),
                               prompt_tokens=self.usage.prompt_tokens + sum(g.prompt_tokens for g in out),
                               completion_tokens=self.usage.completion_tokens + sum(g.completion_tokens for g in out))
            for unit, generation, note in zip(group, out, notes, strict=True):
                made[unit.key] = _generated(unit, generation, self.bundle, self.backend.model_id, self.templates,
                                            note)
        candidates = [made[u.key] for u in units]
        self.log.append(candidates)
        self.progress.generated(len(candidates), sum(c.completion_tokens for c in candidates))
        return candidates

    def grade(self, pairs: Sequence[tuple[Unit, Candidate]]) -> list[Candidate]:
        """Judge the candidates that need it, log the judged ones, and return all (judged or not)."""
        todo = [(u, c) for u, c in pairs if needs_judging(c, self.config)]
        if not todo:
            return [c for _, c in pairs]
        before = self.judge.usage.completion_tokens
        grades = self.judge.grade([JudgeRequest(category=c.category, prompt=c.prompt, completion=c.completion,
                                                expected=c.expected) for _, c in todo])
        judged = {c.key: c.model_copy(update={"judgement": Judgement.of(u.judge_key, self.judge.model_id, g)})
                  for (u, c), g in zip(todo, grades, strict=True)}
        self.log.append(judged.values())
        self.progress.judged(len(judged), self.judge.usage.completion_tokens - before)
        return [judged.get(c.key, c) for _, c in pairs]


def _rounds(units: Sequence[Unit], size: int) -> list[Sequence[Unit]]:
    return [units[i:i + size] for i in range(0, len(units), size)]


def planned_calls(plan: Plan, config: GenerationConfig, unrouted_units: int = 0) -> int:
    """The most backend calls the plan can take (generator rounds, judge rounds; choice_probs included)."""
    size = config.batch_size * config.samples
    gen_rounds = math.ceil((len(plan.to_generate) + unrouted_units) / size)
    judge_rounds = gen_rounds + math.ceil(len(plan.to_judge) / size)
    per_gen = min(config.samples, size) if config.seed is not None else 1
    j = config.judge
    per_judge = (1 if j.use_choice_probs else 0) + (j.runs if j.seed is not None and j.runs > 1 else 1)
    return gen_rounds * per_gen + judge_rounds * per_judge


def _execute(runner: _Runner, plan: Plan, size: int) -> dict[str, Candidate]:
    finished: dict[str, Candidate] = dict(plan.done)
    for batch in _rounds(plan.to_generate, size):
        made = runner.generate(batch)
        for candidate in runner.grade(list(zip(batch, made, strict=True))):
            finished[candidate.key] = candidate
    pairs = list(plan.to_judge)
    for start in range(0, len(pairs), size):
        for candidate in runner.grade(pairs[start:start + size]):
            finished[candidate.key] = candidate
    return finished


def _routing(prompts: Sequence[PromptRow], bundle: Bundle, out_dir: Path, categoriser: Categoriser | None,
             config: GenerationConfig, dry_run: bool) -> Routing:
    routes = route_log(out_dir)
    return route_rows(prompts, bundle, categoriser, routes, skip_uncategorised=config.skip_uncategorised,
                      run_retrieval=not dry_run)


def _report(routing: Routing, plan: Plan, config: GenerationConfig, out_dir: Path, dry_run: bool,
            duplicates: int, log_skipped: int) -> GenerationReport:
    return GenerationReport(
        out_dir=str(out_dir), dry_run=dry_run, prompts=len(plan.rows), duplicates=duplicates,
        categories=dict(Counter(row.category for row in plan.rows)),
        retrieved=routing.retrieved, uncategorised=tuple(routing.uncategorised), skipped=tuple(routing.skipped),
        unrouted=len(routing.unrouted), units=len(plan.units) + len(routing.unrouted) * config.samples,
        cached=plan.cached, to_generate=len(plan.to_generate) + len(routing.unrouted) * config.samples,
        to_judge=len(plan.to_judge), planned_calls=planned_calls(plan, config, len(routing.unrouted) * config.samples),
        log_skipped=log_skipped)


def run_generation(config: GenerationConfig, bundle: Bundle, prompts: Sequence[PromptRow], out_dir: str | Path,
                   backend: ChatBackend, judge: JudgeInput, *, categoriser: Categoriser | None = None,
                   progress: Progress | None = None, dry_run: bool = False) -> GenerationReport:
    """Generate, judge and select SFT data for `prompts` into `out_dir`, reusing what the work log holds.

    `judge`: the judge's chat backend (graded with the bundle's rubrics, in the panel when the config says
    so), or a judge `trainer.judging.open_judge` built (a reward model, `rm:RUN`); see `_judging`.
    Incremental: units whose key is unchanged (same prompt, category hash, system prompt, generator and
    sampling) are not generated again, so after a spec change only the stale categories' rows are.
    `dry_run` plans only: no model call, no write, no model load (routing uses cached routes only).
    Raises `RoutingError` (rows cannot be routed), `WorkLogError` (the folder cannot be used) and lets
    `BackendError` from the backends and `JudgeError` from a reward model through.
    """
    out = Path(out_dir)
    progress = progress or NullProgress()
    started = time.perf_counter()
    if config.guided:
        check_guidable(bundle.reasoning)
    the_judge = run_judge(judge, config, bundle)
    config = as_graded(config, the_judge)
    if dry_run:
        log = candidate_log(out)
        routing = _routing(prompts, bundle, out, categoriser, config, dry_run=True)
        rows, duplicates = dedupe(routing.rows)
        records = log.load(repair=False)
        plan = make_plan(rows, config, bundle, backend.model_id, judge_identity(judge), records)
        return _report(routing, plan, config, out, True, duplicates, log.skipped)
    with WorkDirLock(out / WORK_DIR):
        log = candidate_log(out)
        remove_stale(out)  # what a killed run left behind
        log.remove_stale()
        route_log(out).remove_stale()
        routing = _routing(prompts, bundle, out, categoriser, config, dry_run=False)
        rows, duplicates = dedupe(routing.rows)
        records = log.load()
        lines = log.skipped
        plan = make_plan(rows, config, bundle, backend.model_id, judge_identity(judge), records)
        progress.start(len(plan.units), plan.cached, len(plan.to_generate), len(plan.to_judge))
        runner = _Runner(config, bundle, backend, the_judge, log, progress)
        finished = _execute(runner, plan, config.batch_size * config.samples)
        records.update(finished)
        log.compact(records.values())
        outcomes = select([finished[u.key] for u in plan.units], config.threshold)
        card = render_card(outcomes, bundle, config, backend.model_id, judge_model(judge))
        paths = write_outputs(out, [output_row(o) for o in outcomes if o.status == "kept"],
                              [output_row(o) for o in outcomes], card, out / WORK_DIR)
        progress.finish()
    report = _report(routing, plan, config, out, False, duplicates, lines)
    judge_usage = the_judge.usage
    return report.model_copy(update={
        "generator": runner.usage, "per_category": count(outcomes), "outputs": paths,
        "judge": Usage(calls=judge_usage.calls, items=judge_usage.verdicts, prompt_tokens=judge_usage.prompt_tokens,
                       completion_tokens=judge_usage.completion_tokens),
        "seconds": time.perf_counter() - started})


def stale_categories(out_dir: str | Path, bundle: Bundle) -> tuple[str, ...]:
    """Categories of `bundle` that the work log in `out_dir` holds candidates of, none of them under the
    bundle's current category hash: what a spec change made stale, and what `run_generation` would redo
    for them. Reads the log only (no lock, no repair)."""
    recorded: dict[str, set[str]] = {}
    for candidate in candidate_log(Path(out_dir)).load(repair=False).values():
        recorded.setdefault(candidate.category, set()).add(candidate.category_hash)
    return tuple(c for c in bundle.categories if c in recorded and bundle.category_hash(c) not in recorded[c])
