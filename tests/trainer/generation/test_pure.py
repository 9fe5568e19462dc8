"""Pure pieces: content keys, model identities, selection and the card's histogram."""

from __future__ import annotations

import pytest

from trainer.generation import model_identity
from trainer.generation._card import histogram
from trainer.generation._keys import prompt_key, unit_key


@pytest.mark.parametrize(("model_id", "identity"), [
    ("openai:http://a:8000/v1,http://b:8000/v1#llama", "openai:llama"),
    ("openai:http://a:8000/v1#llama", "openai:llama"),
    ("embedded:SmolLM2-135M-Instruct-Q4_1", "embedded:SmolLM2-135M-Instruct-Q4_1"),
    ("hf:/models/x", "hf:/models/x"),
])
def test_model_identity_ignores_replicas(model_id: str, identity: str) -> None:
    assert model_identity(model_id) == identity


def test_keys_change_with_each_input() -> None:
    p = prompt_key(({"role": "user", "content": "hi"},), "weapons")
    assert p != prompt_key(({"role": "user", "content": "hi"},), "insults")
    base = unit_key(p, "c1", "s1", "gen", {"temperature": 0.7}, 0)
    variants = [unit_key(p, "c2", "s1", "gen", {"temperature": 0.7}, 0),
                unit_key(p, "c1", "s2", "gen", {"temperature": 0.7}, 0),
                unit_key(p, "c1", "s1", "other", {"temperature": 0.7}, 0),
                unit_key(p, "c1", "s1", "gen", {"temperature": 0.8}, 0),
                unit_key(p, "c1", "s1", "gen", {"temperature": 0.7}, 1)]
    assert base not in variants and len(set(variants)) == 5
    assert base == unit_key(p, "c1", "s1", "gen", {"temperature": 0.7}, 0)


def test_histogram_bins_half_points_with_five_in_the_last() -> None:
    lines = histogram([1.0, 1.4, 2.0, 4.9, 5.0, 5.0])
    assert [int(line.rsplit(" ", 1)[1]) for line in lines] == [2, 0, 1, 0, 0, 0, 0, 3]
    assert lines[-1].startswith("[4.5, 5.0] ") and histogram([])[0].endswith(" 0")


def test_importing_the_packages_loads_no_heavy_library() -> None:
    import subprocess
    import sys

    code = ("import sys, trainer.generation, trainer.judging, trainer.cli; "
            "print(sorted(m for m in ('torch', 'transformers', 'datasets', 'numpy', 'faiss', 'openai', 'pyarrow') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
