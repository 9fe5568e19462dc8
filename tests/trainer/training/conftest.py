"""Fixtures for the training tests: a tiny generation folder, a compiled bundle, RL prompts, a fake judge.

Trainer mechanics run on `tiny_model_dir` (tests/conftest.py): a 2-layer random Llama with the SmolLM2
tokenizer and its chat template (which injects a default system prompt, as the real one does).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.trainer.scripted_models import FakeJudge
from tests.trainer.training.training_helpers import POLICY, generation_rows, write_generation, write_prompts


@pytest.fixture(scope="session")
def gen_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generation folder with 8 well-formed rows (shared: do not modify it)."""
    return write_generation(tmp_path_factory.mktemp("gen") / "gen", generation_rows())


@pytest.fixture(scope="session")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """policies/safety.md compiled into a bundle (approximate token counts; shared: do not modify it)."""
    from compiler import ApproxCounter, build_bundle
    from spec_lang import load

    out = tmp_path_factory.mktemp("bundle") / "bundle"
    build_bundle([load(str(POLICY)).spec], out, counter=ApproxCounter())
    return out


@pytest.fixture
def prompts_file(tmp_path: Path) -> Path:
    return write_prompts(tmp_path / "prompts.jsonl")


@pytest.fixture
def fake_judge() -> FakeJudge:
    return FakeJudge()
