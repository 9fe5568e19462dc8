"""The package's public surface: `__all__` complete and sorted, and importing it loads no model library."""

from __future__ import annotations

import subprocess
import sys

import trainer.evaluation as evaluation


def test_all_is_sorted_and_importable() -> None:
    assert evaluation.__all__ == sorted(evaluation.__all__, key=lambda n: (not n.isupper(), n))
    for name in evaluation.__all__:
        assert getattr(evaluation, name) is not None, name


def test_public_names_are_all_exported() -> None:
    public = {n for n in vars(evaluation) if not n.startswith("_") and not isinstance(getattr(evaluation, n),
                                                                                         type(sys))}
    assert public == set(evaluation.__all__)


def test_import_loads_no_model_library() -> None:
    code = ("import sys, trainer.evaluation, trainer.cli; "
            "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers', 'faiss') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
