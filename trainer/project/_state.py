"""The build state, `OUT/build.json`: per stage, the inputs it was last built from and what it produced.

A stage is up to date when the digest of its current inputs equals the recorded key and its outputs still
exist; otherwise the differing input names say why it is stale. Written atomically after every stage.

What a stage produced is a typed record per stage (`CompileOutputs`, `GenerateOutputs`, `RunOutputs` for
`sft` and `rl`, `EvalOutputs`), stored under `stages.<stage>.outputs` as a plain JSON object, e.g.
`stages.rl.outputs.run` names the RL run folder. Paths in them are relative to the project folder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from spec_lang.atomic import write_atomic
from spec_lang.versions import digest
from trainer.project.config import ProjectError, StageName

STATE_FILE = "build.json"


class _Outputs(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True,
                              serialize_by_alias=True)
    PATHS: ClassVar[tuple[str, ...]] = ()
    """The fields naming files or folders that must still exist for the stage to be up to date."""

    def paths(self) -> tuple[str, ...]:
        """The values of `PATHS`: paths relative to the project folder (absolute in older build states)."""
        return tuple(str(getattr(self, name)) for name in self.PATHS)


class LintOutputs(_Outputs):
    """`lint` produces nothing: it passes (the specs are lint clean) or stops the build."""


class CompileOutputs(_Outputs):
    """What `compile` produced: the bundle."""

    PATHS = ("bundle",)
    bundle: str = Field(description="The bundle folder.")
    revision: str = Field(description="The bundle's revision (`Bundle.revision`).")
    categories: dict[str, str] = Field(description="Category id -> `Bundle.category_hash`.")


class GenerateOutputs(_Outputs):
    """What `generate` produced: the SFT data, and the prompts as routed, for RL."""

    PATHS = ("data",)
    data: str = Field(description="The generation folder (`data.jsonl`, `candidates.jsonl`, `dataset/`).")
    fingerprint: str = Field(description="Digest of its `data.jsonl`: what SFT is built from.")
    routed_prompts: str = Field(description="Digest of `OUT/rl_prompts.jsonl`, the prompts with their categories.")


class RunOutputs(_Outputs):
    """What a training stage (`sft`, `rl`) produced: a run folder (`trainer.training.runs`)."""

    PATHS = ("run",)
    run: str = Field(description="The run folder; its final model is `RUN/final`.")


class EvalOutputs(_Outputs):
    """What `eval` produced: the report of `delib eval`."""

    PATHS = ("report",)
    report: str = Field(description="`report.html`.")
    eval_json: str = Field(alias="json", description="`eval.json` (key `json` in `build.json`).")


StageOutputs = LintOutputs | CompileOutputs | GenerateOutputs | RunOutputs | EvalOutputs
"""What any stage produced (the records take disjoint keys, so a stored object reads as exactly one)."""
OUTPUTS: dict[StageName, type[StageOutputs]] = {
    "lint": LintOutputs, "compile": CompileOutputs, "generate": GenerateOutputs, "sft": RunOutputs,
    "rl": RunOutputs, "eval": EvalOutputs}
"""The output record of each stage."""
OutputsT = TypeVar("OutputsT", bound=_Outputs)


class StageRecord(BaseModel):
    """One stage's last successful build."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    key: str = Field(description="Digest of `inputs`.")
    inputs: dict[str, Any] = Field(description="What the stage was built from (hashes, settings).")
    outputs: StageOutputs = Field(default_factory=LintOutputs, description="What it produced (paths, fingerprints).")
    summary: str = Field("", description="One line for people.")
    finished_at: str = Field(description="UTC, ISO 8601.")


class BuildState(BaseModel):
    """`build.json`: the last successful build of each stage, by stage name."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    format: str = Field("delib-build/1", description="Layout version of the file.")
    stages: dict[StageName, StageRecord] = Field(default_factory=dict, description="Stage name -> its last build.")

    @model_validator(mode="after")
    def _outputs_match_their_stage(self) -> BuildState:
        for name, record in self.stages.items():
            if not isinstance(record.outputs, OUTPUTS[name]):
                raise ValueError(f"stages.{name}.outputs: not what the {name} stage produces")
        return self

    def outputs(self, stage: StageName, kind: type[OutputsT]) -> OutputsT | None:
        """What `stage` produced at its last build, or None (never built, or another kind of record)."""
        record = self.stages.get(stage)
        return record.outputs if record is not None and isinstance(record.outputs, kind) else None


def read_state(out: Path) -> BuildState:
    """`OUT/build.json`, or an empty state when there is none; `ProjectError` when it cannot be read."""
    path = out / STATE_FILE
    try:
        return BuildState.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return BuildState()
    except (OSError, ValidationError) as exc:
        raise ProjectError(f"{path}: unreadable build state ({exc})",
                           f"delete {path} to rebuild every stage (its outputs are reused where unchanged)") from exc


def write_state(out: Path, state: BuildState) -> None:
    write_atomic(out / STATE_FILE, state.model_dump_json(indent=2) + "\n")


def key_of(inputs: Mapping[str, Any]) -> str:
    return digest(dict(inputs))


def file_digest(path: Path) -> str:
    """sha256 of a file, or of a folder's files (names and bytes); `missing` when absent."""
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path] if path.is_file() else []
    if not files:
        return "missing"
    for file in files:
        h.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        h.update(file.read_bytes())
    return h.hexdigest()[:16]


def changed_inputs(before: Mapping[str, Any], after: Mapping[str, Any],
                   prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The key paths of the inputs that differ (nested tables compared key by key), e.g.
    `("files", "policies/safety.md")`: a path as parts, since a key may hold dots itself."""
    out: list[tuple[str, ...]] = []
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name), after.get(name)
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            out += changed_inputs(a, b, (*prefix, name))
        elif a != b:
            out.append((*prefix, name))
    return out


INPUT_NAMES = {"files": "spec file", "revisions": "spec revisions", "templates": "template", "tokenizer": "tokenizer",
               "categories": "category", "prompts": "prompt file", "settings": "setting", "backends": "backend",
               "data": "generated data", "model": "model", "base": "base model", "bundle": "bundle",
               "judge": "judge", "judge_run": "reward-model judge run", "reasoning": "reasoning format"}
"""What each stage input is called in `delib status`."""


def describe_changes(changed: Sequence[tuple[str, ...]], most: int = 6) -> str:
    """`changed: spec file policies/safety.md, category privacy, setting samples` for `delib status`."""
    named = [" ".join([INPUT_NAMES.get(path[0], path[0]), ".".join(path[1:])]).strip() for path in changed]
    more = f" and {len(named) - most} more" if len(named) > most else ""
    return "changed: " + ", ".join(named[:most]) + more
