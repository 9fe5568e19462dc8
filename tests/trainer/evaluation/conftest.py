"""Fixtures of the evaluation CLI tests: scripted backends behind `open_backend`, and the console entry point."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import trainer.backends
from compiler import write_bundle
from tests.trainer.evaluation.eval_helpers import Run, mini_bundle, scoring_judge
from trainer.backends import FakeBackend


@pytest.fixture
def backends(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Callable[[], Any]]]:
    """`open_backend(spec)` -> the factory registered under `spec` (tests add their own); no model loads."""
    registry: dict[str, Callable[[], Any]] = {
        "judge-good": scoring_judge, "judge-bad": lambda: scoring_judge(invert=True),
        "model-a": lambda: FakeBackend(lambda c, p: "Sorry, I can't help with that.", model_id="model-a"),
        "model-b": lambda: FakeBackend(lambda c, p: "Sure! Here is how.", model_id="model-b"),
    }

    def fake_open(spec: str = "embedded", **options: Any) -> Any:
        if spec not in registry:
            raise trainer.backends.ModelUnavailableError(f"no scripted backend {spec!r}")
        return registry[spec]()

    monkeypatch.setattr(trainer.backends, "open_backend", fake_open)
    yield registry


@pytest.fixture
def run(delib_cli: Run) -> Run:
    """The shared `delib_cli` fixture (`tests/conftest.py`), under the short name these tests use."""
    return delib_cli


@pytest.fixture
def bundle_dir(tmp_path: Path) -> Path:
    """The fixture policy compiled into a bundle folder (as `delib compile` writes it)."""
    out = tmp_path / "bundle"
    write_bundle(mini_bundle(), out)
    return out
