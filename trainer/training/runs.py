"""Run folders: their layout, and what rerunning a command on one does (start, resume or nothing).

    RUN/run.json            the manifest (`trainer.training.manifest`)
    RUN/checkpoints/        TRL checkpoints, `checkpoint-<step>/` (the newest two are kept)
    RUN/adapter/            the LoRA adapter, for LoRA runs
    RUN/final/              the final model (LoRA merged), tokenizer and chat template: `hf:RUN/final`
    RUN/bundle/             RL runs: a copy of the bundle whose judge rewarded it (with its spec snapshot)

Rerunning the same command on an interrupted or failed run resumes from its newest complete
checkpoint (incomplete ones, cut off by a kill, are removed: `remove_stale`); on a completed run it does
nothing (unless `force`, which starts over). A run folder is tied to its data and base model: rerunning
with other data or another model is refused.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from trainer.backends import RUN_FINAL, RUN_MANIFEST
from trainer.training.errors import ModelSourceError, RunStateError
from trainer.training.manifest import RunKind, RunManifest, read_manifest

MANIFEST = RUN_MANIFEST
CHECKPOINTS = "checkpoints"
FINAL = RUN_FINAL
ADAPTER = "adapter"
BUNDLE_DIR = "bundle"
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
_COMPLETE_MARK = "trainer_state.json"
"""Written by transformers at the end of a checkpoint save: a checkpoint without it is incomplete."""


@dataclass(frozen=True)
class RunLayout:
    """The paths of one run folder."""

    root: Path

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST

    @property
    def checkpoints(self) -> Path:
        return self.root / CHECKPOINTS

    @property
    def final(self) -> Path:
        return self.root / FINAL

    @property
    def adapter(self) -> Path:
        return self.root / ADAPTER

    @property
    def bundle(self) -> Path:
        return self.root / BUNDLE_DIR


@dataclass(frozen=True)
class RunPlan:
    """What to do with a run folder: `start` afresh, `resume` from `checkpoint`, or nothing (`done`)."""

    action: Literal["start", "resume", "done"]
    previous: RunManifest | None
    checkpoint: Path | None = None


def last_checkpoint(checkpoints: Path) -> Path | None:
    """The complete `checkpoint-<step>` folder with the highest step, or None."""
    if not checkpoints.is_dir():
        return None
    found = [(int(m.group(1)), p) for p in checkpoints.iterdir()
             if (m := _CHECKPOINT.match(p.name)) and (p / _COMPLETE_MARK).is_file()]
    return max(found)[1] if found else None


def final_model_of(folder: Path) -> Path | None:
    """The final model folder of a completed run at `folder`; None when `folder` is not a run.

    Raises `ModelSourceError` for a run that has not completed.
    """
    manifest = read_manifest(folder / MANIFEST) if (folder / MANIFEST).is_file() else None
    if manifest is None:
        return None
    final = folder / FINAL
    if manifest.status != "completed" or not (final / "config.json").is_file():
        raise ModelSourceError(f"run {folder} has not completed (status: {manifest.status}), so it has no final model",
                               "finish it by rerunning its training command, or pick another --model")
    return final


def plan_run(layout: RunLayout, kind: RunKind, *, data_fingerprint: str, model_path: str,
             force: bool = False) -> RunPlan:
    """Decide what to do with the run folder; raises `RunStateError` when it holds something else."""
    previous = read_manifest(layout.manifest)
    if previous is None:
        leftovers = sorted(p.name for p in layout.root.iterdir()) if layout.root.is_dir() else []
        if leftovers and not force and set(leftovers) - {CHECKPOINTS}:
            raise RunStateError(f"{layout.root} is not empty and holds no run ({MANIFEST} is missing)",
                                "pick a new output folder, or pass --force to train into it anyway")
        return RunPlan("start", None)
    if force:
        return RunPlan("start", previous)
    if previous.kind != kind:
        raise RunStateError(f"{layout.root} holds a {previous.kind} run, not a {kind} run",
                            "pick a new output folder for this run")
    if previous.status == "completed" and (layout.final / "config.json").is_file():
        return RunPlan("done", previous)
    if previous.data.fingerprint != data_fingerprint or previous.base_model.path != model_path:
        what = "data" if previous.data.fingerprint != data_fingerprint else "base model"
        raise RunStateError(f"{layout.root} holds an unfinished run on another {what} "
                            f"(data {previous.data.path}, model {previous.base_model.spec})",
                            "rerun it with its own data and model to resume it, pick a new output folder, "
                            "or pass --force to start over")
    checkpoint = last_checkpoint(layout.checkpoints)
    return RunPlan("resume", previous, checkpoint) if checkpoint else RunPlan("start", previous)


def remove_stale(layout: RunLayout) -> list[Path]:
    """Remove what a killed run left: checkpoint folders without their completion mark (a save cut off) and
    temporary copies of the manifest. Returns what was removed. Only the main process calls it."""
    partial = [p for p in layout.checkpoints.iterdir() if _CHECKPOINT.match(p.name) and p.is_dir()
               and not (p / _COMPLETE_MARK).is_file()] if layout.checkpoints.is_dir() else []
    temporaries = list(layout.root.glob(f".{MANIFEST}.*.tmp")) if layout.root.is_dir() else []
    for folder in partial:
        shutil.rmtree(folder, ignore_errors=True)
    for file in temporaries:
        file.unlink(missing_ok=True)
    return partial + temporaries


def clear_outputs(layout: RunLayout) -> None:
    """Remove the checkpoints, adapter and final model of a run folder (starting over)."""
    for folder in (layout.checkpoints, layout.adapter, layout.final):
        shutil.rmtree(folder, ignore_errors=True)
