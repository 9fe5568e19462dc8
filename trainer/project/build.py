"""`delib build` and `delib status`: the pipeline of a project as an incremental build, like make.

    lint      inputs: the spec files' bytes                      -> diagnostics (errors stop the build)
    compile   inputs: spec revisions, templates, tokenizer        -> OUT/bundle
    generate  inputs: category hashes, templates, prompts file, generation settings, backends -> OUT/data
    sft       inputs: the data's fingerprint, SFT settings        -> OUT/runs/sft-<key>
    rl        inputs: the SFT run, the bundle, RL prompts, settings -> OUT/runs/rl-<key>
    eval      inputs: the trained model, the bundle, eval prompts, settings -> OUT/eval/<key>

A reward-model judge (`rm:RUN`) adds its run's fingerprint to the inputs of generate, rl and eval.

A stage runs when the digest of its inputs differs from the one recorded in `OUT/build.json`, or its
outputs are gone; everything downstream of a rebuilt stage sees new inputs too. Generation reuses its
work log, so a spec change regenerates only the stale categories; with `continue_training` a rebuilt SFT
stage starts from the previous SFT run's final model (its manifest names it as the parent).

Paths in `build.json` (inputs and outputs) are relative to the project folder, so a moved checkout, or
the same project in CI at another path, is still up to date.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from compiler import TemplateSet, build_bundle, load_bundle, resolve_counter
from compiler.bundle import Bundle
from compiler.reasoning import ReasoningFormat, chat_template_in, resolve
from spec_lang import Spec, expand, load_clean
from spec_lang.atomic import write_atomic
from spec_lang.errors import EmptyResultError
from spec_lang.versions import SpecHashes, revision_id
from trainer.generation import (
    CANDIDATES,
    DATA,
    GenerationRecipe,
    Progress,
    PromptSource,
    generate_from_recipe,
    read_jsonl,
)
from trainer.judging import judge_revision
from trainer.project._state import (
    BuildState,
    CompileOutputs,
    EvalOutputs,
    GenerateOutputs,
    LintOutputs,
    RunOutputs,
    StageOutputs,
    StageRecord,
    changed_inputs,
    describe_changes,
    file_digest,
    key_of,
    read_state,
    write_state,
)
from trainer.project.config import STAGES, Project, ProjectError, StageName
from trainer.training import RunLayout, train_rl, train_sft
from trainer.training.manifest import now

Echo = Callable[[str], None]
TrainingStage = Literal["sft", "rl"]

BUNDLE_DIR = "bundle"
"""`OUT/bundle`: the compiled bundle."""
DATA_DIR = "data"
"""`OUT/data`: the generated SFT data (a `delib generate` folder)."""
RL_PROMPTS = "rl_prompts.jsonl"
"""`OUT/rl_prompts.jsonl`: the generation prompts with the categories generation routed them to."""
RUNS_DIR = "runs"
"""`OUT/runs/sft-<key>`, `OUT/runs/rl-<key>`: the training runs, one per distinct input key."""
EVAL_DIR = "eval"
"""`OUT/eval/<key>`: the evaluation reports, one per distinct input key."""


@dataclass(frozen=True)
class StageStatus:
    """Whether a stage is up to date, and why not."""

    stage: StageName
    state: Literal["up to date", "stale", "never built", "disabled", "blocked"]
    why: str = ""


@dataclass
class _Build:
    """One build's (or status check's) working state: the project, the state so far, and the specs and bundle,
    each loaded once."""

    project: Project
    state: BuildState
    echo: Echo
    progress: Progress | None = None
    specs: list[Spec] = field(default_factory=list)
    bundle: Bundle | None = None

    @property
    def out(self) -> Path:
        return self.project.out

    @property
    def compiled(self) -> CompileOutputs | None:
        return self.state.outputs("compile", CompileOutputs)

    @property
    def generated(self) -> GenerateOutputs | None:
        return self.state.outputs("generate", GenerateOutputs)

    def trained(self, stage: TrainingStage) -> RunOutputs | None:
        return self.state.outputs(stage, RunOutputs)

    def rel(self, path: Path | str) -> str:
        """`path` as `build.json` stores it: relative to the project folder when inside it (POSIX slashes)."""
        try:
            return Path(path).resolve().relative_to(self.project.root).as_posix()
        except ValueError:
            return str(path)

    def run_path(self, stage: TrainingStage) -> Path | None:
        """The run folder a training stage produced, resolved against the project folder."""
        trained = self.trained(stage)
        return self.project.path(trained.run) if trained else None

    def loaded_specs(self) -> list[Spec]:
        """The project's specs, loaded (and lint checked: errors raise) on first use."""
        self.specs = self.specs or list(load_clean(self.project.spec_refs)[0])
        return self.specs

    def record(self, stage: StageName, inputs: dict[str, Any], outputs: StageOutputs, summary: str) -> None:
        stages = dict(self.state.stages)
        summary = summary.replace(f"{self.project.root}/", "")  # paths in it relative to the project, as the rest
        stages[stage] = StageRecord(key=key_of(inputs), inputs=inputs, outputs=outputs, summary=summary,
                                    finished_at=now())
        self.state = self.state.model_copy(update={"stages": stages})
        write_state(self.out, self.state)


def _templates(project: Project) -> TemplateSet:
    return TemplateSet(project.spec.templates) if project.spec.templates else TemplateSet()


# ------------------------------------------------------------------------------------------------ stage inputs


def _lint_inputs(build: _Build) -> dict[str, Any]:
    refs = expand(build.project.spec_refs)
    return {"files": {build.rel(r.path) + (f"@{r.rev}" if r.rev else ""): file_digest(Path(r.path))
                      if r.rev is None else str(r) for r in refs}}


def _compile_inputs(build: _Build) -> dict[str, Any]:
    return {"revisions": [revision_id(s) for s in build.loaded_specs()], "templates": _templates(build.project).hashes,
            "tokenizer": build.project.spec.tokenizer, **_reasoning_input(build)}


def _reasoning_input(build: _Build) -> dict[str, Any]:
    """The reasoning format, as an input of the stages that render or sample in it (absent when `auto`, as in
    projects from before formats existed; `auto` follows the tokenizer, itself an input)."""
    reasoning = build.project.spec.reasoning
    return {} if reasoning == "auto" else {"reasoning": reasoning}


def _reasoning(build: _Build) -> ReasoningFormat:
    reasoning, tokenizer = build.project.spec.reasoning, build.project.spec.tokenizer
    return resolve(reasoning, chat_template=chat_template_in(tokenizer) if reasoning == "auto" else None)


def _judge_run(build: _Build) -> dict[str, Any]:
    """A reward-model judge's run fingerprint, as an input (absent for a model address: keys as before)."""
    revision = judge_revision(build.project.backends.judge)
    return {} if revision is None else {"judge_run": revision}


def _generate_inputs(build: _Build) -> dict[str, Any]:
    project, settings = build.project, build.project.generate
    return {"categories": {c: h for s in build.loaded_specs() for c, h in SpecHashes(s).categories.items()},
            "templates": _templates(project).hashes, "prompts": file_digest(project.path(settings.prompts)),
            "settings": settings.model_dump(mode="json", exclude={"prompts"}),
            "backends": project.backends.model_dump(), **_judge_run(build), **_reasoning_input(build)}


def _sft_inputs(build: _Build) -> dict[str, Any]:
    generated = build.generated
    return {"data": generated.fingerprint if generated else None, "settings": build.project.sft.model_dump(mode="json")}


def _bundle_inputs(build: _Build) -> dict[str, Any]:
    """The bundle, as an input of the stages that read its rubrics (`rl`, `eval`)."""
    compiled = build.compiled
    return {"bundle": compiled.revision if compiled else None, "categories": compiled.categories if compiled else None}


def _rl_inputs(build: _Build) -> dict[str, Any]:
    rl, generated, sft = build.project.rl, build.generated, build.trained("sft")
    prompts = file_digest(build.project.path(rl.prompts)) if rl.prompts else (
        generated.routed_prompts if generated else None)
    return {"model": sft.run if sft else None, **_bundle_inputs(build), "prompts": prompts,
            "settings": rl.model_dump(mode="json"), "judge": build.project.backends.judge, **_judge_run(build)}


def _eval_model(build: _Build) -> Path | None:
    return build.run_path("rl") if "rl" in build.project.build.stages else build.run_path("sft")


def _eval_inputs(build: _Build) -> dict[str, Any]:
    settings = build.project.eval
    prompts = build.project.path(settings.prompts or build.project.generate.prompts)
    model = _eval_model(build)
    return {"model": build.rel(model) if model else None,
            "base": build.project.sft.model if settings.compare_base else None, **_bundle_inputs(build),
            "prompts": file_digest(prompts), "settings": settings.model_dump(mode="json"),
            "judge": build.project.backends.judge, **_judge_run(build)}


# ------------------------------------------------------------------------------------------------ stage runs


def _run_lint(build: _Build, inputs: dict[str, Any]) -> tuple[LintOutputs, str]:
    build.specs = list(load_clean(build.project.spec_refs)[0])  # raises on lint errors
    return LintOutputs(), f"{len(build.specs)} spec(s) lint clean"


def _run_compile(build: _Build, inputs: dict[str, Any]) -> tuple[CompileOutputs, str]:
    counter = resolve_counter(build.project.spec.tokenizer)[0]
    folder = build.out / BUNDLE_DIR
    bundle, report = build_bundle(build.loaded_specs(), folder, templates=_templates(build.project), counter=counter,
                                  reasoning=_reasoning(build))
    build.bundle = bundle
    outputs = CompileOutputs(bundle=build.rel(folder), revision=bundle.revision,
                             categories={c: bundle.category_hash(c) for c in bundle.categories})
    return outputs, (f"{len(bundle.categories)} categories into {folder} ({len(report.written)} "
                     f"written, {len(report.unchanged)} unchanged)")


def _bundle(build: _Build) -> Bundle:
    if build.bundle is None:
        build.bundle = load_bundle(build.out / BUNDLE_DIR)
    return build.bundle


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


def _routed_prompts(data: Path, target: Path) -> str:
    """The generated prompts with the categories generation gave them, as an RL prompts file; returns its digest."""
    seen: dict[str, dict[str, str]] = {}
    for row in read_jsonl(data / CANDIDATES):
        text = str(row["prompt"][-1]["content"])
        seen.setdefault(text, {"prompt": text, "category": str(row["category"]),
                               "expected": "|".join(str(e) for e in _list(row.get("expected")))})
    write_atomic(target, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in seen.values()))
    return file_digest(target)


def _run_generate(build: _Build, inputs: dict[str, Any]) -> tuple[GenerateOutputs, str]:
    project, settings, data = build.project, build.project.generate, build.out / DATA_DIR
    recipe = GenerationRecipe(
        config=settings.config(), backend=project.backends.generator, judge=project.backends.judge,
        prompts=PromptSource(path=str(project.path(settings.prompts)), prompt_column=settings.prompt_column,
                             category_column=settings.category_column, limit=settings.limit,
                             name=build.rel(project.path(settings.prompts))))
    report = generate_from_recipe(recipe, _bundle(build), data, progress=build.progress, notify=build.echo)
    if report.totals.kept == 0:
        raise EmptyResultError(f"{data}: the judge kept no row ({report.totals.candidates} candidates), so SFT has "
                               "nothing to train on", "lower [generate].threshold, raise samples, or use a stronger "
                               f"generator; see {CANDIDATES}")
    routed = _routed_prompts(data, build.out / RL_PROMPTS)
    outputs = GenerateOutputs(data=build.rel(data), fingerprint=file_digest(data / DATA), routed_prompts=routed)
    t = report.totals
    return outputs, (f"{t.kept} rows kept of {t.candidates} candidates ({report.cached} reused, "
                     f"{report.generator.items} generated) into {data}")


def _run_sft(build: _Build, inputs: dict[str, Any]) -> tuple[RunOutputs, str]:
    config = build.project.sft
    previous = build.run_path("sft")
    if build.project.build.continue_training and previous and (RunLayout(previous).final / "config.json").is_file():
        config = config.model_copy(update={"model": str(previous)})
    run = build.out / RUNS_DIR / f"sft-{key_of(inputs)[:8]}"
    result = train_sft(build.out / DATA_DIR, run, config)
    loss = result.manifest.metrics.get("train_loss")
    return RunOutputs(run=build.rel(run)), (f"{build.rel(run)} from {config.model}"
                                            + (f", train loss {loss:.3f}" if loss is not None else ""))


def _run_rl(build: _Build, inputs: dict[str, Any]) -> tuple[RunOutputs, str]:
    project = build.project
    model = build.run_path("sft") or project.sft.model
    prompts = project.path(project.rl.prompts) if project.rl.prompts else build.out / RL_PROMPTS
    run = build.out / RUNS_DIR / f"rl-{key_of(inputs)[:8]}"
    result = train_rl(build.out / BUNDLE_DIR, prompts, run, project.rl.config(str(model), project.backends.judge))
    reward = result.manifest.metrics.get("reward")
    return RunOutputs(run=build.rel(run)), build.rel(run) + (f", mean reward {reward:.3f}" if reward is not None
                                                              else "")


def _run_eval(build: _Build, inputs: dict[str, Any]) -> tuple[EvalOutputs, str]:
    from trainer.evaluation.output import EVAL_JSON, REPORT_HTML
    from trainer.project._eval import evaluate

    folder = build.out / EVAL_DIR / key_of(inputs)[:8]
    model = _eval_model(build)
    if model is None:
        raise ProjectError("no trained model to evaluate", "enable the sft stage in [build].stages")
    project, settings = build.project, build.project.eval
    summary = evaluate(f"hf:{model}", project.sft.model if settings.compare_base else None, project.backends.judge,
                       _bundle(build), build.specs, project.path(settings.prompts or project.generate.prompts),
                       folder, settings, build.echo)
    return EvalOutputs(report=build.rel(folder / REPORT_HTML), eval_json=build.rel(folder / EVAL_JSON)), summary


_INPUTS: dict[StageName, Callable[[_Build], dict[str, Any]]] = {
    "lint": _lint_inputs, "compile": _compile_inputs, "generate": _generate_inputs, "sft": _sft_inputs,
    "rl": _rl_inputs, "eval": _eval_inputs}
"""Each stage's inputs: what its key is the digest of."""
_RUNS: dict[StageName, Callable[[_Build, dict[str, Any]], tuple[StageOutputs, str]]] = {
    "lint": _run_lint, "compile": _run_compile, "generate": _run_generate, "sft": _run_sft, "rl": _run_rl,
    "eval": _run_eval}
"""Each stage's run, given its inputs: what it produced and a one-line summary."""


def _outputs_exist(project: Project, record: StageRecord) -> bool:
    return all(project.path(p).exists() for p in record.outputs.paths())


def _check(stage: StageName, build: _Build) -> tuple[StageStatus, dict[str, Any]]:
    """Whether `stage` is up to date given the state so far, and its current inputs."""
    inputs = _INPUTS[stage](build)
    record = build.state.stages.get(stage)
    if record is None:
        return StageStatus(stage, "never built"), inputs
    if record.key != key_of(inputs):
        return StageStatus(stage, "stale", describe_changes(changed_inputs(record.inputs, inputs))), inputs
    if not _outputs_exist(build.project, record):
        return StageStatus(stage, "stale", "its outputs are gone"), inputs
    return StageStatus(stage, "up to date", record.summary), inputs


def _enabled(project: Project, only: Sequence[StageName] | None) -> list[StageName]:
    wanted = [s for s in STAGES if s in project.build.stages]
    if only:
        last = max(STAGES.index(s) for s in only)
        wanted = [s for s in wanted if STAGES.index(s) <= last]
    return wanted


def status(project: Project) -> list[StageStatus]:
    """Each stage's state, without running anything; stages after a stale one are `blocked` (their inputs
    are not known until it runs)."""
    current = _Build(project, read_state(project.out), echo=lambda _: None)
    out: list[StageStatus] = []
    blocked: str | None = None
    for stage in STAGES:
        if stage not in project.build.stages:
            out.append(StageStatus(stage, "disabled"))
            continue
        if blocked is not None:
            out.append(StageStatus(stage, "blocked", f"waits for {blocked}"))
            continue
        state, _ = _check(stage, current)
        out.append(state)
        if state.state != "up to date" and stage not in ("lint",):
            blocked = stage
    return out


def build(project: Project, *, only: Sequence[StageName] | None = None, force: Sequence[StageName] = (),
          echo: Echo = print, progress: Progress | None = None) -> list[StageStatus]:
    """Run the project's stages in order, skipping the up-to-date ones; returns what each did.

    `only` stops after the last stage named; `force` reruns the stages named even when up to date.
    Raises `TrainingError` subclasses (bad input) and lets training and backend failures through; the
    state of every stage finished before is kept, so the next build resumes."""
    project.out.mkdir(parents=True, exist_ok=True)
    current = _Build(project, read_state(project.out), echo=echo, progress=progress)
    done: list[StageStatus] = []
    for stage in _enabled(project, only):
        checked, inputs = _check(stage, current)
        if checked.state == "up to date" and stage not in force:
            echo(f"{stage}: up to date ({checked.why})")
            done.append(checked)
            continue
        echo(f"{stage}: running ({checked.why or checked.state})")
        outputs, summary = _RUNS[stage](current, inputs)
        current.record(stage, inputs, outputs, summary)
        echo(f"{stage}: {summary}")
        done.append(StageStatus(stage, "up to date", summary))
    return done
