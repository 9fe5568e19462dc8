"""The public API of `compiler`: a curated `__all__`, documented names, and a light import."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import compiler
from tests.compiler.compile_helpers import DIALECT_MINI


def test_all_is_curated() -> None:
    assert len(compiler.__all__) == len(set(compiler.__all__))
    for name in compiler.__all__:
        value = getattr(compiler, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"compiler.{name} has no docstring"
    public = {n for n, v in vars(compiler).items()
              if not n.startswith("_") and not inspect.ismodule(v) and n != "annotations"}
    assert public == set(compiler.__all__)


def test_import_is_light() -> None:
    code = ("import sys, compiler; heavy = [m for m in ('torch', 'transformers', 'tokenizers', 'compiler.retrieval') "
            "if m in sys.modules]; print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_docstring_example(tmp_path: Path) -> None:
    """The usage shown in `compiler.__doc__`, with the approximate counter."""
    from spec_lang import load

    bundle = compiler.compile_spec(load(str(DIALECT_MINI)).spec, counter=compiler.ApproxCounter())
    compiler.write_bundle(bundle, tmp_path / "bundle")
    bundle = compiler.load_bundle(tmp_path / "bundle")
    assert bundle.system_prompt("weapons") and bundle.rubric("weapons", show_reasoning=False)
