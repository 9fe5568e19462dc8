"""Paths every test module shares (import as `from tests.paths import ...`)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
MODEL_SPEC_DIR = SHARED / "model_spec"
RELEASES = ("2025-02-12", "2025-04-11", "2025-09-12", "2025-10-27", "2025-12-18")
POLICIES = REPO / "policies"


def release(name: str) -> Path:
    """A Model Spec release from the shared data (skips the test when the data is absent)."""
    path = MODEL_SPEC_DIR / f"{name}.md"
    if not path.exists():
        pytest.skip(f"shared data missing: {path}")
    return path
