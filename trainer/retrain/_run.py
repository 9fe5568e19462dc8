"""`retrain`: a spec changed; regenerate the stale categories' data and continue training from a run.

    parent run ──lineage──> SFT data + recipe, SFT settings, RL settings and prompts
    new spec ──compile──> OUT/bundle  ──diff vs the parent's spec snapshot──> stale categories, with reasons
    OUT/data  <── the parent's work log + generate_from_recipe (only stale units are generated again)
    OUT/sft   <── train_sft(OUT/data), starting from the parent's final model   (parent_run = the parent)
    OUT/rl    <── train_rl(OUT/bundle, the parent's RL prompts), starting from OUT/sft
    OUT/retrain.json, OUT/RETRAIN.md

Every step is resumable, so rerunning the same retrain after an interruption continues where it stopped.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from compiler import (
    BundleError,
    CompileError,
    TemplateSet,
    build_bundle,
    compile_specs,
    load_bundle,
    resolve_counter,
)
from compiler.bundle import Bundle
from compiler.reasoning import TAGS
from spec_lang import Spec, load_clean
from trainer.backends import ChatBackend
from trainer.generation import WORK_DIR, GenerationReport, Progress, generate_from_recipe, read_jsonl, read_recipe
from trainer.judging import check_judge_address
from trainer.retrain._impact import category_changes
from trainer.retrain._lineage import Lineage, Run, lineage
from trainer.retrain._report import CategoryRows, RetrainReport, Stage, write_report
from trainer.training import AnswerJudge, RLStageConfig, SFTStageConfig, train_rl, train_sft
from trainer.training.errors import DataError, RunStateError, TrainingError

BUNDLE_DIR, DATA_DIR, SFT_DIR, RL_DIR = "bundle", "data", "sft", "rl"
"""The folders a retrain writes under its output folder."""
C = TypeVar("C", SFTStageConfig, RLStageConfig)
PROFILES = (None, "compact")
"""Built-in template sets, tried in order to find the one the parent's bundle was compiled with."""


class RetrainError(TrainingError):
    """The retrain cannot go on as asked (missing lineage, recipe, or stage settings)."""


@dataclass(frozen=True)
class RetrainOptions:
    """What to change relative to the parent's settings (None: keep the parent's)."""

    stages: tuple[Stage, ...] | None = None
    templates: str | None = None
    tokenizer: str | None = None
    backend: str | None = None
    judge: str | None = None
    sft_max_steps: int | None = None
    rl_max_steps: int | None = None


@dataclass(frozen=True)
class Prepared:
    """The plan of a retrain, before any model call: lineage, stages, the new bundle, the report so far."""

    lineage: Lineage
    stages: tuple[Stage, ...]
    bundle: Bundle
    report: RetrainReport


def _stages(lin: Lineage, asked: tuple[Stage, ...] | None) -> tuple[Stage, ...]:
    order: tuple[Stage, ...] = ("sft", "rl")
    present = {"sft": lin.sft, "rl": lin.rl}
    stages = tuple(s for s in order if s in (asked or [s for s in order if present[s] is not None]))
    if "sft" in stages and lin.sft is None:
        raise RetrainError(f"{lin.run.root}: no SFT run in its lineage, so there is no data to regenerate",
                           "retrain only the RL stage (--stages rl)")
    if "rl" in stages and lin.rl is None:
        raise RetrainError(f"{lin.run.root}: an SFT run has no RL settings to repeat",
                           "retrain with --stages sft, then run `delib train rl` on the new SFT run")
    if not stages:
        raise RetrainError("no stage to run", "pass --stages sft, rl or sft,rl")
    return stages


def _templates(choice: str | None, old: Bundle | None) -> tuple[TemplateSet, str]:
    """The template set asked for, else the built-in one the parent's bundle was compiled with."""
    if choice is not None:
        return TemplateSet(choice), choice
    for profile in PROFILES:
        candidate = TemplateSet(profile)
        if old is not None and candidate.hashes == old.manifest.templates:
            return candidate, profile or "built-in"
    return TemplateSet(), "built-in"


def _old_bundle(lin: Lineage) -> Bundle | None:
    path = lin.old_bundle
    if path is None or not path.is_dir():
        return None
    try:
        return load_bundle(path)
    except BundleError:
        return None


def _old_specs(old: Bundle | None) -> tuple[Spec, ...] | None:
    try:
        return old.specs() if old is not None else None
    except BundleError:
        return None


def prepare(run_dir: str | Path, spec: Sequence[str], out_dir: str | Path, options: RetrainOptions, *,
            write: bool = True) -> Prepared:
    """Check the lineage and `options.judge` (`JudgeError`, `ModelAddressError`), compile the new spec into
    `OUT/bundle` (in memory only unless `write`) and work out what is stale, without any model call."""
    out = Path(out_dir).resolve()
    lin = lineage(Path(run_dir))
    if out == lin.run.root or lin.run.root in out.parents or out in lin.run.root.parents:
        raise RunStateError(f"{out}: the output folder holds the run being retrained (or lies inside it)",
                            "write the retrain to a new folder, e.g. -o runs/retrain-1")
    stages = _stages(lin, options.stages)
    if options.judge is not None:
        check_judge_address(options.judge)  # a model address or `rm:RUN`, before anything is compiled
    specs = list(load_clean(spec)[0])
    old = _old_bundle(lin)
    try:
        templates, template_name = _templates(options.templates, old)
        counter = resolve_counter(options.tokenizer)[0]
        reasoning = old.reasoning if old is not None else TAGS  # the run's reasoning format, kept
        bundle = build_bundle(specs, out / BUNDLE_DIR, templates=templates, counter=counter, reasoning=reasoning)[0] \
            if write else compile_specs(specs, templates=templates, counter=counter, reasoning=reasoning)
    except CompileError as exc:
        raise RetrainError(str(exc)) from exc
    current = {c: bundle.category_hash(c) for c in bundle.categories}
    recorded = {c: old.category_hash(c) for c in old.categories} if old is not None else lin.recorded_hashes
    changes = category_changes(recorded, current, _old_specs(old), specs)
    old_revision = (lin.sft or lin.run).manifest.spec_revision
    report = RetrainReport(
        status="planned", parent_run=str(lin.run.root), parent_kind=lin.run.manifest.kind, stages=stages,
        spec=tuple(spec), old_revision=old_revision, new_revision=bundle.revision, templates=template_name,
        categories=tuple(CategoryRows(**c.model_dump()) for c in changes), bundle=str(out / BUNDLE_DIR),
        data=str(out / DATA_DIR) if "sft" in stages else None)
    return Prepared(lin, stages, bundle, report)


def _config(run: Run | None, kind: type[C]) -> C:
    """The stage config of a run of the lineage (checked by `_stages` to exist)."""
    config = run.manifest.config if run is not None else None
    if not isinstance(config, kind):
        raise RetrainError(f"the lineage has no {kind.__name__} to repeat", "pass --stages for the stages it has")
    return config


def _rows_by_key(folder: Path) -> dict[str, str]:
    """Row key -> category of a generation folder's kept rows."""
    path = folder / "data.jsonl"
    return {str(r["key"]): str(r["category"]) for r in read_jsonl(path)} if path.is_file() else {}


def _with_rows(report: RetrainReport, before: dict[str, str], after: dict[str, str],
               generation: GenerationReport) -> RetrainReport:
    old_counts, new_counts = Counter(before.values()), Counter(after.values())
    reused = Counter(c for key, c in after.items() if key in before)
    rows = tuple(c.model_copy(update={"rows_before": old_counts[c.id], "rows_after": new_counts[c.id],
                                      "reused": reused[c.id], "regenerated": new_counts[c.id] - reused[c.id]})
                 for c in report.categories)
    return report.model_copy(update={"categories": rows, "generated": generation.generator.items,
                                     "judged": generation.judge.items})


def _regenerate(prep: Prepared, out: Path, options: RetrainOptions, backend: ChatBackend | None,
                judge: ChatBackend | None, progress: Progress | None,
                notify: Callable[[str], None] | None) -> RetrainReport:
    """OUT/data: the parent's work log carried over, then the recipe run against the new bundle."""
    old_data = prep.lineage.data_dir
    if old_data is None:  # _stages refuses this; kept for type narrowing
        raise RetrainError(f"{prep.lineage.run.root}: no SFT data in its lineage")
    recipe = read_recipe(old_data)
    if recipe is None:
        raise RetrainError(f"{old_data}: the SFT data has no generation.json, so it cannot be regenerated the same "
                           "way (it was made by an older delib)",
                           f"rerun `delib generate` into {old_data} once (everything is reused), then retrain")
    data = out / DATA_DIR
    if not (data / WORK_DIR).exists() and (old_data / WORK_DIR).is_dir():
        shutil.copytree(old_data / WORK_DIR, data / WORK_DIR)
    changes = {"spec": prep.report.spec[0] if recipe.spec is not None and len(prep.report.spec) == 1 else None}
    changes |= {k: v for k, v in (("backend", options.backend), ("judge", options.judge)) if v is not None}
    generation = generate_from_recipe(recipe.model_copy(update=changes), prep.bundle, data, backend=backend,
                                      judge=judge, progress=progress, notify=notify)
    report = _with_rows(prep.report, _rows_by_key(old_data), _rows_by_key(data), generation)
    if not any(c.rows_after for c in report.categories):
        raise DataError(f"{data}: the judge kept no row, so there is nothing to train on",
                        "lower the recipe's threshold or check the generator; see candidates.jsonl")
    return report


def retrain(run_dir: str | Path, spec: Sequence[str], out_dir: str | Path, options: RetrainOptions | None = None,
            *, backend: ChatBackend | None = None, judge: ChatBackend | None = None,
            rl_judge: AnswerJudge | None = None, progress: Progress | None = None,
            notify: Callable[[str], None] | None = None) -> RetrainReport:
    """Retrain the completed run at `run_dir` on the spec(s) `spec`, into `out_dir` (see the module docstring).

    `backend` / `judge` replace the generation recipe's backends, `rl_judge` the RL reward's judge (tests,
    custom judges). Raises `TrainingError` subclasses for bad input; training failures propagate with the
    report marked `failed`.
    """
    options = options or RetrainOptions()
    out = Path(out_dir).resolve()
    prep = prepare(run_dir, spec, out, options)
    report = prep.report.model_copy(update={"status": "running"})
    write_report(out, report)
    try:
        start = str(prep.lineage.run.root)
        if "sft" in prep.stages:
            report = _regenerate(Prepared(prep.lineage, prep.stages, prep.bundle, report), out, options, backend,
                                 judge, progress, notify)
            write_report(out, report)
            sft = _config(prep.lineage.sft, SFTStageConfig)
            update: dict[str, object] = {"model": start}
            if options.sft_max_steps is not None:
                update["max_steps"] = options.sft_max_steps
            result = train_sft(out / DATA_DIR, out / SFT_DIR, sft.model_copy(update=update))
            start = str(result.run_dir)
            report = report.model_copy(update={"runs": report.runs | {"sft": start}})
            write_report(out, report)
        if "rl" in prep.stages:
            rl = _config(prep.lineage.rl, RLStageConfig)
            update = {"model": start}
            if options.rl_max_steps is not None:
                update["max_steps"] = options.rl_max_steps
            if options.judge is not None:
                update["rewards"] = rl.rewards.model_copy(update={"judge": options.judge})
            prompts = prep.lineage.rl.manifest.data.path  # type: ignore[union-attr]  # _config checked it
            result = train_rl(out / BUNDLE_DIR, prompts, out / RL_DIR, rl.model_copy(update=update), judge=rl_judge)
            report = report.model_copy(update={"runs": report.runs | {"rl": str(result.run_dir)}})
    except BaseException as exc:
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc).splitlines()[0]
        write_report(out, report.model_copy(update={"status": "failed", "error": reason}))
        raise
    report = report.model_copy(update={"status": "completed", "error": None})
    write_report(out, report)
    return report

