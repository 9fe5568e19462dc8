"""Fixtures for the retrain tests: a parent lineage (generation folder, SFT run, RL run) on policies/."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from compiler import ApproxCounter, build_bundle, load_bundle
from tests.paths import POLICIES
from tests.trainer.scripted_models import FakeJudge, generator, judge
from trainer.generation import GenerationConfig, GenerationRecipe, PromptSource, generate_from_recipe
from trainer.judging import JudgeConfig
from trainer.training import RLStageConfig, SFTStageConfig, train_rl, train_sft

CATEGORIES = ("violence", "privacy", "cyber")
SFT_FAST: dict[str, Any] = {"learning_rate": 1e-3, "batch_size": 2, "max_length": 256, "bf16": False, "max_steps": 1}
RL_FAST: dict[str, Any] = {"learning_rate": 1e-3, "batch_size": 2, "num_generations": 2, "max_completion_length": 8,
                           "bf16": False, "max_steps": 1}


def _prompts(path: Path) -> Path:
    rows = [{"prompt": f"Question {i} about {c}?", "category": c} for c in CATEGORIES for i in range(2)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _recipe(prompts: Path) -> GenerationRecipe:
    config = GenerationConfig(samples=2, batch_size=4, judge=JudgeConfig(runs=1, use_choice_probs=False))
    return GenerationRecipe(config=config, backend="fake", judge="fake", prompts=PromptSource(path=str(prompts)))


@pytest.fixture
def parent(tmp_path: Path, tiny_model_dir: Path) -> dict[str, Path]:
    """policies/ copied, compiled, generated (fake models), an SFT run and an RL run on the tiny Llama."""
    policies = tmp_path / "policies"
    shutil.copytree(POLICIES, policies)
    bundle = tmp_path / "bundle"
    build_bundle([spec_of(policies)], bundle, counter=ApproxCounter())
    prompts = _prompts(tmp_path / "prompts.jsonl")
    generate_from_recipe(_recipe(prompts), load_bundle(bundle), tmp_path / "data", backend=generator(),
                         judge=judge())
    sft = train_sft(tmp_path / "data", tmp_path / "runs" / "sft",
                    SFTStageConfig(model=f"hf:{tiny_model_dir}", **SFT_FAST))
    rl = train_rl(bundle, prompts, tmp_path / "runs" / "rl", RLStageConfig(model=str(sft.run_dir), **RL_FAST),
                  judge=FakeJudge())
    return {"policies": policies, "data": tmp_path / "data", "sft": sft.run_dir, "rl": rl.run_dir}


def spec_of(folder: Path) -> Any:
    from spec_lang import load

    return load(str(folder / "safety.md")).spec
