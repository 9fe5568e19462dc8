"""`delib build` and `delib status`: the pipeline of a project as an incremental build, like make.

    lint      inputs: the spec files' bytes                      -> diagnostics (errors stop the build)
    compile   inputs: spec revisions, templates, tokenizer        -> OUT/bundle
    generate  inputs: category hashes, templates, prompts file, generation settings, backends -> OUT/data
    sft       inputs: the data's fingerprint, SFT settings        -> OUT/runs/sft-<key>
    rl        inputs: the SFT run, the bundle, RL prompts, settings -> OUT/runs/rl-<key>
    eval      inputs: the trained model, the bundle, eval prompts, settings -> OUT/eval/<key>

A stage runs when the digest of its inputs differs from the one recorded in `OUT/build.json`, or its
outputs are gone; everything downstream of a rebuilt stage sees new inputs too. Generation reuses its
work log, so a spec change regenerates only the stale categories; with `continue_training` a rebuilt SFT
stage starts from the previous SFT run's final model (its manifest names it as the parent).

Paths in `build.json` (inputs and outputs) are relative to the project folder, so a moved checkout, or
the same project in CI at another path, is still up to date.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from compiler import TemplateSet, build_bundle, resolve_counter
from compiler.bundle import Bundle
from compiler.reasoning import ReasoningFormat, chat_template_in, resolve
from spec_lang import Spec, expand, load_clean
from spec_lang.errors import EmptyResultError
from spec_lang.versions import SpecHashes, revision_id
from trainer.generation import GenerationRecipe, Progress, PromptSource, generate_from_recipe, read_jsonl
from trainer.project._state import BuildState, StageRecord, changed_inputs, key_of, read_state, write_state
from trainer.project.config import STAGES, Project, ProjectError, StageName
from trainer.training import train_rl, train_sft
from trainer.training.manifest import now

Echo = Callable[[str], None]


@dataclass(frozen=True)
class StageStatus:
    """Whether a stage is up to date, and why not."""

    stage: StageName
    state: Literal["up to date", "stale", "never built", "disabled", "blocked"]
    why: str = ""


@dataclass
class _Build:
    """One build's (or status check's) working state."""

    project: Project
    state: BuildState
    echo: Echo
    progress: Progress | None = None
    specs: list[Spec] = field(default_factory=list)
    bundle: Bundle | None = None

    @property
    def out(self) -> Path:
        return self.project.out

    def output(self, stage: StageName, name: str) -> Any:
        record = self.state.stages.get(stage)
        return record.outputs.get(name) if record else None

    def rel(self, path: Path | str) -> str:
        """`path` as `build.json` stores it: relative to the project folder when inside it (POSIX slashes)."""
        try:
            return Path(path).resolve().relative_to(self.project.root).as_posix()
        except ValueError:
            return str(path)

    def run_path(self, stage: StageName) -> Path | None:
        """The run folder a training stage produced, resolved against the project folder."""
        run = self.output(stage, "run")
        return self.project.path(str(run)) if run else None

    def record(self, stage: StageName, inputs: dict[str, Any], outputs: dict[str, Any], summary: str) -> None:
        stages = dict(self.state.stages)
        summary = summary.replace(f"{self.project.root}/", "")  # paths in it relative to the project, as the rest
        stages[stage] = StageRecord(key=key_of(inputs), inputs=inputs, outputs=outputs, summary=summary,
                                    finished_at=now())
        self.state = self.state.model_copy(update={"stages": stages})
        write_state(self.out, self.state)


def _file_digest(path: Path) -> str:
    """sha256 of a file, or of a folder's files (names and bytes); `missing` when absent."""
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path] if path.is_file() else []
    if not files:
        return "missing"
    for file in files:
        h.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        h.update(file.read_bytes())
    return h.hexdigest()[:16]


def _templates(project: Project) -> TemplateSet:
    return TemplateSet(project.spec.templates) if project.spec.templates else TemplateSet()


# ------------------------------------------------------------------------------------------------ stage inputs


def _lint_inputs(b: _Build) -> dict[str, Any]:
    refs = expand(b.project.spec_refs)
    return {"files": {b.rel(r.path) + (f"@{r.rev}" if r.rev else ""): _file_digest(Path(r.path)) if r.rev is None
                      else str(r) for r in refs}}


def _compile_inputs(b: _Build) -> dict[str, Any]:
    b.specs = b.specs or list(load_clean(b.project.spec_refs)[0])
    return {"revisions": [revision_id(s) for s in b.specs], "templates": _templates(b.project).hashes,
            "tokenizer": b.project.spec.tokenizer, **_reasoning_input(b)}


def _reasoning_input(b: _Build) -> dict[str, Any]:
    """The reasoning format, as an input of the stages that render or sample in it (absent when `auto`, as in
    projects from before formats existed; `auto` follows the tokenizer, itself an input)."""
    reasoning = b.project.spec.reasoning
    return {} if reasoning == "auto" else {"reasoning": reasoning}


def _reasoning(b: _Build) -> ReasoningFormat:
    reasoning, tokenizer = b.project.spec.reasoning, b.project.spec.tokenizer
    return resolve(reasoning, chat_template=chat_template_in(tokenizer) if reasoning == "auto" else None)


def _generate_inputs(b: _Build) -> dict[str, Any]:
    b.specs = b.specs or list(load_clean(b.project.spec_refs)[0])
    g = b.project.generate
    return {"categories": {c: h for s in b.specs for c, h in SpecHashes(s).categories.items()},
            "templates": _templates(b.project).hashes, "prompts": _file_digest(b.project.path(g.prompts)),
            "settings": g.model_dump(mode="json", exclude={"prompts"}), "backends": b.project.backends.model_dump(),
            **_reasoning_input(b)}


def _sft_inputs(b: _Build) -> dict[str, Any]:
    return {"data": b.output("generate", "fingerprint"), "settings": b.project.sft.model_dump(mode="json")}


def _rl_inputs(b: _Build) -> dict[str, Any]:
    rl = b.project.rl
    prompts = _file_digest(b.project.path(rl.prompts)) if rl.prompts else b.output("generate", "routed_prompts")
    return {"model": b.output("sft", "run"), "bundle": b.output("compile", "revision"),
            "categories": b.output("compile", "categories"), "prompts": prompts,
            "settings": rl.model_dump(mode="json"), "judge": b.project.backends.judge}


def _eval_model(b: _Build) -> Path | None:
    return b.run_path("rl") if "rl" in b.project.build.stages else b.run_path("sft")


def _eval_inputs(b: _Build) -> dict[str, Any]:
    e = b.project.eval
    prompts = b.project.path(e.prompts or b.project.generate.prompts)
    model = _eval_model(b)
    return {"model": b.rel(model) if model else None, "base": b.project.sft.model if e.compare_base else None,
            "bundle": b.output("compile", "revision"), "categories": b.output("compile", "categories"),
            "prompts": _file_digest(prompts), "settings": e.model_dump(mode="json"), "judge": b.project.backends.judge}


# ------------------------------------------------------------------------------------------------ stage runs


def _run_lint(b: _Build) -> tuple[dict[str, Any], str]:
    b.specs = list(load_clean(b.project.spec_refs)[0])  # raises on lint errors
    return {}, f"{len(b.specs)} spec(s) lint clean"


def _run_compile(b: _Build) -> tuple[dict[str, Any], str]:
    b.specs = b.specs or list(load_clean(b.project.spec_refs)[0])
    counter = resolve_counter(b.project.spec.tokenizer)[0]
    b.bundle, report = build_bundle(b.specs, b.out / "bundle", templates=_templates(b.project), counter=counter,
                                    reasoning=_reasoning(b))
    outputs = {"bundle": b.rel(b.out / "bundle"), "revision": b.bundle.revision,
               "categories": {c: b.bundle.category_hash(c) for c in b.bundle.categories}}
    return outputs, (f"{len(b.bundle.categories)} categories into {b.out / 'bundle'} ({len(report.written)} "
                     f"written, {len(report.unchanged)} unchanged)")


def _bundle(b: _Build) -> Bundle:
    if b.bundle is None:
        from compiler import load_bundle

        b.bundle = load_bundle(b.out / "bundle")
    return b.bundle


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


def _routed_prompts(data: Path, target: Path) -> str:
    """The generated prompts with the categories generation gave them, as an RL prompts file."""
    seen: dict[str, dict[str, str]] = {}
    for row in read_jsonl(data / "candidates.jsonl"):
        text = str(row["prompt"][-1]["content"])
        seen.setdefault(text, {"prompt": text, "category": str(row["category"]),
                               "expected": "|".join(str(e) for e in _list(row.get("expected")))})
    from spec_lang.atomic import write_atomic

    write_atomic(target, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in seen.values()))
    return _file_digest(target)


def _run_generate(b: _Build) -> tuple[dict[str, Any], str]:
    g, data = b.project.generate, b.out / "data"
    recipe = GenerationRecipe(config=g.config(), backend=b.project.backends.generator, judge=b.project.backends.judge,
                              prompts=PromptSource(path=str(b.project.path(g.prompts)), prompt_column=g.prompt_column,
                                                   category_column=g.category_column, limit=g.limit))
    report = generate_from_recipe(recipe, _bundle(b), data, progress=b.progress, notify=b.echo)
    if report.totals.kept == 0:
        raise EmptyResultError(f"{data}: the judge kept no row ({report.totals.candidates} candidates), so SFT has "
                           "nothing to train on", "lower [generate].threshold, raise samples, or use a stronger "
                           "generator; see candidates.jsonl")
    routed = _routed_prompts(data, b.out / "rl_prompts.jsonl")
    outputs = {"data": b.rel(data), "fingerprint": _file_digest(data / "data.jsonl"), "routed_prompts": routed}
    t = report.totals
    return outputs, (f"{t.kept} rows kept of {t.candidates} candidates ({report.cached} reused, "
                     f"{report.generator.items} generated) into {data}")


def _run_sft(b: _Build, inputs: dict[str, Any]) -> tuple[dict[str, Any], str]:
    config = b.project.sft
    previous = b.run_path("sft")
    if b.project.build.continue_training and previous and (previous / "final" / "config.json").is_file():
        config = config.model_copy(update={"model": str(previous)})
    run = b.out / "runs" / f"sft-{key_of(inputs)[:8]}"
    result = train_sft(b.out / "data", run, config)
    loss = result.manifest.metrics.get("train_loss")
    return {"run": b.rel(run)}, (f"{b.rel(run)} from {config.model}"
                                 + (f", train loss {loss:.3f}" if loss is not None else ""))


def _run_rl(b: _Build, inputs: dict[str, Any]) -> tuple[dict[str, Any], str]:
    model = b.run_path("sft") or b.project.sft.model
    prompts = b.project.path(b.project.rl.prompts) if b.project.rl.prompts else b.out / "rl_prompts.jsonl"
    run = b.out / "runs" / f"rl-{key_of(inputs)[:8]}"
    result = train_rl(b.out / "bundle", prompts, run, b.project.rl.config(str(model), b.project.backends.judge))
    reward = result.manifest.metrics.get("reward")
    return {"run": b.rel(run)}, b.rel(run) + (f", mean reward {reward:.3f}" if reward is not None else "")


def _run_eval(b: _Build, inputs: dict[str, Any]) -> tuple[dict[str, Any], str]:
    from trainer.project._eval import evaluate

    folder = b.out / "eval" / key_of(inputs)[:8]
    model = _eval_model(b)
    if model is None:
        raise ProjectError("no trained model to evaluate", "enable the sft stage in [build].stages")
    e = b.project.eval
    summary = evaluate(f"hf:{model}", b.project.sft.model if e.compare_base else None, b.project.backends.judge,
                       _bundle(b), b.specs, b.project.path(e.prompts or b.project.generate.prompts), folder, e,
                       b.echo)
    return {"report": b.rel(folder / "report.html"), "json": b.rel(folder / "eval.json")}, summary


_INPUTS: dict[StageName, Callable[[_Build], dict[str, Any]]] = {
    "lint": _lint_inputs, "compile": _compile_inputs, "generate": _generate_inputs, "sft": _sft_inputs,
    "rl": _rl_inputs, "eval": _eval_inputs}


def _run(stage: StageName, b: _Build, inputs: dict[str, Any]) -> tuple[dict[str, Any], str]:
    if stage == "lint":
        return _run_lint(b)
    if stage == "compile":
        return _run_compile(b)
    if stage == "generate":
        return _run_generate(b)
    return {"sft": _run_sft, "rl": _run_rl, "eval": _run_eval}[stage](b, inputs)


def _outputs_exist(project: Project, record: StageRecord) -> bool:
    paths = [v for k, v in record.outputs.items() if k in ("bundle", "data", "run", "report")]
    return all(project.path(str(p)).exists() for p in paths)


INPUT_NAMES = {"files": "spec file", "revisions": "spec revisions", "templates": "template", "tokenizer": "tokenizer",
               "categories": "category", "prompts": "prompt file", "settings": "setting", "backends": "backend",
               "data": "generated data", "model": "model", "base": "base model", "bundle": "bundle",
               "judge": "judge", "reasoning": "reasoning format"}
"""What each stage input is called in `delib status`."""


def describe_changes(changed: Sequence[tuple[str, ...]], most: int = 6) -> str:
    """`changed: spec file policies/safety.md, category privacy, setting samples` for `delib status`."""
    named = [" ".join([INPUT_NAMES.get(path[0], path[0]), ".".join(path[1:])]).strip() for path in changed]
    more = f" and {len(named) - most} more" if len(named) > most else ""
    return "changed: " + ", ".join(named[:most]) + more


def _check(stage: StageName, b: _Build) -> tuple[StageStatus, dict[str, Any]]:
    """Whether `stage` is up to date given the state so far, and its current inputs."""
    inputs = _INPUTS[stage](b)
    record = b.state.stages.get(stage)
    if record is None:
        return StageStatus(stage, "never built"), inputs
    if record.key != key_of(inputs):
        return StageStatus(stage, "stale", describe_changes(changed_inputs(record.inputs, inputs))), inputs
    if not _outputs_exist(b.project, record):
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
    b = _Build(project, read_state(project.out), echo=lambda _: None)
    out: list[StageStatus] = []
    blocked: str | None = None
    for stage in STAGES:
        if stage not in project.build.stages:
            out.append(StageStatus(stage, "disabled"))
            continue
        if blocked is not None:
            out.append(StageStatus(stage, "blocked", f"waits for {blocked}"))
            continue
        state, _ = _check(stage, b)
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
    b = _Build(project, read_state(project.out), echo=echo, progress=progress)
    done: list[StageStatus] = []
    for stage in _enabled(project, only):
        checked, inputs = _check(stage, b)
        if checked.state == "up to date" and stage not in force:
            echo(f"{stage}: up to date ({checked.why})")
            done.append(checked)
            continue
        echo(f"{stage}: running ({checked.why or checked.state})")
        outputs, summary = _run(stage, b, inputs)
        b.record(stage, inputs, outputs, summary)
        echo(f"{stage}: {summary}")
        done.append(StageStatus(stage, "up to date", summary))
    return done
