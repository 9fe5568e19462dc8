"""The build state, `OUT/build.json`: per stage, the inputs it was last built from and what it produced.

A stage is up to date when the digest of its current inputs equals the recorded key and its outputs still
exist; otherwise the differing input names say why it is stale. Written atomically after every stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from spec_lang.atomic import write_atomic
from spec_lang.versions import digest
from trainer.project.config import ProjectError

STATE_FILE = "build.json"


class StageRecord(BaseModel):
    """One stage's last successful build."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    key: str = Field(description="Digest of `inputs`.")
    inputs: dict[str, Any] = Field(description="What the stage was built from (hashes, settings).")
    outputs: dict[str, Any] = Field(default_factory=dict, description="What it produced (paths, fingerprints).")
    summary: str = Field("", description="One line for people.")
    finished_at: str = Field(description="UTC, ISO 8601.")


class BuildState(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    format: str = "delib-build/1"
    stages: dict[str, StageRecord] = Field(default_factory=dict)


def read_state(out: Path) -> BuildState:
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
