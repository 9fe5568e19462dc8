"""Golden files: the compiled bundles of the fixture specs and of `policies/`, byte for byte.

Each folder under `tests/compiler/golden/` is a bundle as `delib compile` writes it (with the
approximate token counter, so it needs no tokenizer). After an intended change, regenerate them with

    DELIB_UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/compiler/test_compile_golden.py

and review the diff like code. They are never rewritten otherwise. The manifest's `tool` field (the
version of deliberative that wrote the bundle) is compared as `deliberative VERSION`, so a version bump
does not break them.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from spec_lang import has_errors, load
from tests.compiler.compile_helpers import DIALECT_MINI, GOLDEN, MODEL_SPEC_MINI, compile_to
from tests.paths import POLICIES

UPDATE = os.environ.get("DELIB_UPDATE_GOLDEN") == "1"


def _policy_specs() -> list[Path]:
    """The specs of `policies/` (lint clean: `tests/spec_lang/test_docs.py` checks it)."""
    specs = sorted(p for p in POLICIES.glob("*.md") if p.name.lower() != "readme.md")
    for spec in specs:
        assert not has_errors(load(str(spec)).diagnostics), f"{spec} has lint errors; run `delib lint policies/`"
    return specs


CASES = {
    "model_spec_mini": lambda: [MODEL_SPEC_MINI],
    "dialect_mini": lambda: [DIALECT_MINI],
    "policies": _policy_specs,
}


TOOL = re.compile(rb'("tool": "deliberative )[^"]*(")')


def normalised(name: str, data: bytes) -> bytes:
    """A compiled file as the goldens compare it: the manifest's tool version replaced by `VERSION`."""
    return TOOL.sub(rb"\1VERSION\2", data) if name == "manifest.json" else data


def _tree(root: Path) -> dict[str, bytes]:
    """The bundle's compiled files (`sources/`, the input snapshot, is tested in test_compile_bundle.py)."""
    return {p.relative_to(root).as_posix(): normalised(p.relative_to(root).as_posix(), p.read_bytes())
            for p in sorted(root.rglob("*")) if p.is_file() and p.relative_to(root).parts[0] != "sources"}


@pytest.mark.parametrize("version", ["installed", "deliberative 99.1.0"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_bundle_matches_golden(name: str, version: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if version != "installed":  # as after a version bump: the goldens still match
        monkeypatch.setattr("compiler._compile.tool_version", lambda: version)
    specs = CASES[name]()
    golden = GOLDEN / name
    if UPDATE and version == "installed":
        shutil.rmtree(golden, ignore_errors=True)
        compile_to(specs, golden)
    compile_to(specs, tmp_path / "bundle")
    got, want = _tree(tmp_path / "bundle"), _tree(golden)
    assert want, f"no golden files in {golden}; create them with DELIB_UPDATE_GOLDEN=1"
    assert sorted(got) == sorted(want), "files differ; regenerate with DELIB_UPDATE_GOLDEN=1 if intended"
    for rel, data in got.items():
        assert data.decode() == want[rel].decode(), f"{golden / rel} differs; DELIB_UPDATE_GOLDEN=1 if intended"
