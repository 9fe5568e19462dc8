"""`train_rl` end to end on the tiny random Llama with a fake judge: real GRPO steps, rewards, manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.trainer.scripted_models import FakeJudge
from tests.trainer.training.training_helpers import changed, parameters
from trainer.training import PreflightError, RewardSettings, RLStageConfig, read_manifest, train_rl

FAST = {"learning_rate": 1e-3, "batch_size": 2, "num_generations": 2, "max_completion_length": 8,
        "save_steps": 10, "bf16": False}


def tiny(model_dir: Path, **fields: Any) -> RLStageConfig:
    return RLStageConfig(model=f"hf:{model_dir}", **(FAST | fields))


def test_grpo_trains_with_the_judge_reward(bundle_dir: Path, prompts_file: Path, tiny_model_dir: Path,
                                           fake_judge: FakeJudge, tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM

    from compiler import load_bundle

    result = train_rl(bundle_dir, prompts_file, tmp_path / "run", tiny(tiny_model_dir, max_steps=2), judge=fake_judge)
    before = parameters(AutoModelForCausalLM.from_pretrained(tiny_model_dir, local_files_only=True))
    after = parameters(AutoModelForCausalLM.from_pretrained(tmp_path / "run" / "final", local_files_only=True))
    assert changed(before, after)

    # The judge graded every completion of a step in one batch, on the user prompt alone (no spec, no system).
    assert len(fake_judge.batches) == 2 and all(len(batch) == 4 for batch in fake_judge.batches)
    for request in fake_judge.batches[0]:
        assert [m["role"] for m in request.prompt] == ["user"]
        assert request.category == ("advice" if request.prompt[0]["content"].endswith(("1?", "3?")) else "violence")

    bundle = load_bundle(bundle_dir)
    manifest = read_manifest(tmp_path / "run" / "run.json")
    assert manifest == result.manifest and (manifest.kind, manifest.status) == ("rl", "completed")
    assert manifest.spec_revision == bundle.revision
    assert manifest.category_hashes == {c: bundle.category_hash(c) for c in ("advice", "violence")}
    assert manifest.data.format == "prompts" and manifest.data.categories == {"advice": 2, "violence": 2}
    metrics = manifest.metrics
    assert metrics["global_step"] == 2 and 0 <= metrics["rewards/judge/mean"] <= 1
    for category in ("advice", "violence"):
        for reward in ("judge", "format", "citation"):
            assert f"rewards_by_category/{category}/{reward}" in metrics


def test_rl_preflight_checks_the_chat_template(bundle_dir: Path, prompts_file: Path, tiny_model_dir: Path,
                                       tmp_path: Path) -> None:
    with pytest.raises(PreflightError, match="PF005"):
        train_rl(bundle_dir, prompts_file, tmp_path / "run", tiny(tiny_model_dir, max_steps=1, chat_template="model"),
                 judge=FakeJudge())


def test_the_judge_built_from_a_spec_hides_the_reasoning(bundle_dir: Path) -> None:
    from contextlib import ExitStack

    from compiler import load_bundle
    from trainer.training.rl import _rewards, reward_weights

    with ExitStack() as stack:
        rewards = _rewards(RewardSettings(judge="fake", judge_runs=2, w_cite=0), load_bundle(bundle_dir), None,
                           stack.callback)
        assert [type(r).__name__ for r in rewards] == ["JudgeReward", "FormatReward"]
        assert reward_weights(RewardSettings(w_cite=0)) == [1.0, 0.2]
        judge = rewards[0]._judge  # the panel by default, the LLM judge as its member; neither sees the reasoning
        assert (judge.config.show_reasoning, judge.config.runs, judge.model_id) == (False, 2, "panel:fake+opening")
        assert judge.judge.config.show_reasoning is False
        bare = _rewards(RewardSettings(judge="fake", panel=False, w_cite=0), load_bundle(bundle_dir), None,
                        stack.callback)[0]._judge
        assert (bare.config.show_reasoning, bare.model_id) == (False, "fake")
    no_judge = _rewards(RewardSettings(w_judge=0), load_bundle(bundle_dir), None, lambda f: None)
    assert [type(r).__name__ for r in no_judge] == ["FormatReward", "CitationReward"]  # no judge opened
