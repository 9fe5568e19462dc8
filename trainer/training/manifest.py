"""The run manifest, `RUN/run.json`: what a training run was made from, how far it got, what it produced.

Written atomically (`spec_lang.atomic.write_atomic`) when the run starts, at every checkpoint,
and when it completes or fails, so an interrupted run always leaves a readable manifest behind.

    {"format": "delib-run/1", "kind": "sft", "status": "completed",
     "spec_revision": "4994f930743820fc", "category_hashes": {"violence": "ad6e..."},
     "data": {"path": ..., "fingerprint": ..., "rows": 120, ...},
     "base_model": {"spec": "embedded", "path": ..., "loaded_as": "embedded", "model_id": ...},
     "parent_run": null, "config": {...SFTStageConfig...}, "trl_overrides": {"weight_decay": "0.01"},
     "chat_template": {"source": "override", "name": "chatml-without-default-system", "sha256": ..., ...},
     "metrics": {"train_loss": 1.9, "final_loss": 1.7, "global_step": 100},
     "final_checkpoint": "RUN/final", "last_checkpoint": "RUN/checkpoints/checkpoint-100", ...}
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from spec_lang.atomic import write_atomic
from spec_lang.errors import OutputError
from trainer.training.configs import RLStageConfig, SFTStageConfig
from trainer.training.data import DataSource
from trainer.training.errors import RunStateError

LoadedAs = Literal["embedded", "hf", "run"]


class ModelSource(BaseModel):
    """A resolved `--model`: where its files are and how they were found."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    spec: str = Field(description="The `--model` value as given.")
    path: str = Field(description="The local transformers folder the weights and tokenizer are read from.")
    loaded_as: LoadedAs = Field(description="`embedded` (GGUF dequantised into the cache), `hf` or `run`.")
    model_id: str = Field(description="A readable id: `embedded:<name>`, `hf:<path>` or `run:<path>`.")
    parent_run: str | None = Field(None, description="The run folder this model is the final model of, if any.")


MANIFEST_FORMAT = "delib-run/1"
RunKind = Literal["sft", "rl"]
RunStatus = Literal["running", "completed", "failed"]


def now() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class TemplateRecord(BaseModel):
    """The chat template the run trained with (its text is saved with the final model)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    source: Literal["model", "override", "file"] = Field(description="The model's own, our override, or a file.")
    name: str = Field(description="`model`, the override's name, or the file path.")
    sha256: str = Field(description="SHA-256 of the template text.")
    removed_default_system: str | None = Field(None, description="The default system prompt the override removed.")


class RunManifest(BaseModel):
    """Everything recorded about one training run (see the module docstring for an example)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    format: Literal["delib-run/1"] = Field("delib-run/1", description="Manifest format and version.")
    kind: RunKind = Field(description="`sft` or `rl`.")
    status: RunStatus = Field(description="`running` (or interrupted), `completed` or `failed`.")
    created_at: str = Field(description="When the run was first started (UTC, ISO 8601).")
    updated_at: str = Field(description="When this manifest was last written.")
    completed_at: str | None = Field(None, description="When the final model was saved.")
    spec_revision: str | None = Field(None, description="Spec revision of the data (SFT) or the bundle (RL).")
    category_hashes: dict[str, str] = Field(default_factory=dict, description="Category content hashes.")
    data: DataSource = Field(description="The training data and its fingerprint.")
    base_model: ModelSource = Field(description="The model the run started from, and how it was loaded.")
    parent_run: str | None = Field(None, description="The run whose final model this run started from.")
    bundle: str | None = Field(None, description="RL: the copy of the bundle (rubrics, spec snapshot) rewarded with.")
    config: SFTStageConfig | RLStageConfig = Field(description="The stage config of the latest (re)start.")
    trl_overrides: dict[str, str] = Field(default_factory=dict, description="`--trl-arg` overrides, as given.")
    chat_template: TemplateRecord = Field(description="The chat template trained with.")
    final_format: Literal["full", "merged-lora"] = Field(description="How `final/` was made.")
    metrics: dict[str, float] = Field(default_factory=dict, description="Final loss, reward means, steps.")
    last_checkpoint: str | None = Field(None, description="The newest checkpoint saved (resume point).")
    resumed_from: tuple[str, ...] = Field((), description="Checkpoints the run was resumed from, in order.")
    final_checkpoint: str | None = Field(None, description="The final model folder (`RUN/final`).")
    error: str | None = Field(None, description="Why the run failed or stopped, when it did.")
    preflight: dict[str, int | str] | None = Field(None, description="SFT: what the pre-flight checked "
                                                   "(`trainer.training.preflight.PreflightReport`).")
    versions: dict[str, str] = Field(default_factory=dict, description="Library versions used.")


def read_manifest(path: Path) -> RunManifest | None:
    """The manifest at `path`, or None when there is none; `RunStateError` when it is unreadable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RunStateError(f"{path}: cannot read the run manifest: {exc.strerror or exc}",
                            "check the permissions of the run folder") from exc
    try:
        return RunManifest.model_validate_json(data)
    except ValidationError as exc:
        raise RunStateError(f"{path}: not a valid run manifest ({exc.errors()[0]['msg']})",
                            "use a new run folder, or pass --force to start this one over") from exc


def write_manifest(path: Path, manifest: RunManifest) -> None:
    """Write `manifest` to `path` atomically."""
    try:
        write_atomic(path, manifest.model_dump_json(indent=2) + "\n")
    except OutputError as exc:
        raise RunStateError(f"{path}: cannot write the run manifest: {exc.reason}",
                            "check the run folder is writable and the disk has space") from exc


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries a run depends on."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("deliberative", "torch", "transformers", "trl", "peft", "datasets", "accelerate"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found
