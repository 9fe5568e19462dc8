"""A run's lineage: the SFT run whose data and settings `delib retrain` reuses, and the RL run, if any.

    runs/rl  (kind rl, parent_run -> runs/sft)  ->  SFT settings and data from runs/sft, RL settings from runs/rl
    runs/sft (kind sft)                         ->  SFT only
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from trainer.training.errors import RunStateError
from trainer.training.manifest import RunManifest, read_manifest
from trainer.training.runs import MANIFEST


@dataclass(frozen=True)
class Run:
    """A completed run folder and its manifest."""

    root: Path
    manifest: RunManifest


@dataclass(frozen=True)
class Lineage:
    """The run to retrain (`run`), and the SFT and RL runs of its lineage (either may be `run` itself)."""

    run: Run
    sft: Run | None
    rl: Run | None

    @property
    def data_dir(self) -> Path | None:
        """The generation folder the SFT run trained on."""
        return Path(self.sft.manifest.data.path) if self.sft else None

    @property
    def old_bundle(self) -> Path | None:
        """The bundle copy the lineage was made with: the one kept with the SFT data, else the RL run's."""
        if self.data_dir is not None:
            return self.data_dir / "bundle"
        return Path(self.rl.manifest.bundle) if self.rl is not None and self.rl.manifest.bundle else None

    @property
    def recorded_hashes(self) -> dict[str, str]:
        """Category hashes recorded by the SFT run (of its rows), else by the RL run (of its bundle)."""
        return dict((self.sft or self.run).manifest.category_hashes)


def _completed(folder: Path, what: str) -> Run:
    manifest = read_manifest(folder / MANIFEST)
    if manifest is None:
        raise RunStateError(f"{folder}: not a run folder ({MANIFEST} is missing){what}",
                            "pass a run folder written by `delib train sft`, `delib train rl` or `delib retrain`")
    if manifest.status != "completed":
        raise RunStateError(f"{folder}: the run has not completed (status: {manifest.status}){what}",
                            "finish it first by rerunning its training command (it resumes), then retrain")
    return Run(folder, manifest)


def lineage(run_dir: Path) -> Lineage:
    """The lineage of the completed run at `run_dir`; `RunStateError` when a run in it is missing or unfinished."""
    run = _completed(run_dir.resolve(), "")
    if run.manifest.kind == "sft":
        return Lineage(run=run, sft=run, rl=None)
    parent = run.manifest.parent_run
    if parent is None or not (Path(parent) / MANIFEST).is_file():
        return Lineage(run=run, sft=None, rl=run)
    sft = _completed(Path(parent), f" (the parent of {run.root})")
    return Lineage(run=run, sft=sft if sft.manifest.kind == "sft" else None, rl=run)
