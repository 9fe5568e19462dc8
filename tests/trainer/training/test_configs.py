"""Stage configs, their translation into TRL configs (the one place), and `--trl-arg` overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from trainer.training import (
    LoraSettings,
    OverrideError,
    RewardSettings,
    RLStageConfig,
    SFTStageConfig,
    VLLMSettings,
    parse_override_pairs,
)
from trainer.training._trl_args import grpo_config, sft_config


def test_configs_are_small_frozen_and_strict() -> None:
    for cls in (SFTStageConfig, RLStageConfig, LoraSettings, RewardSettings, VLLMSettings):
        assert len(cls.model_fields) <= 18, cls.__name__  # a stage's settings fit on one screen
        assert all(f.description for f in cls.model_fields.values()), cls.__name__
    config = SFTStageConfig()
    with pytest.raises(ValidationError):
        config.max_steps = 3  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        SFTStageConfig(max_step=3)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="all reward weights are 0"):
        RewardSettings(w_judge=0, w_format=0, w_cite=0)


@pytest.mark.parametrize(("pairs", "expected"), [
    (["warmup_ratio=0.1"], {"warmup_ratio": "0.1"}),
    (["lr-scheduler-type = cosine", "warmup_ratio=0.1", "warmup_ratio=0.2"],
     {"lr_scheduler_type": "cosine", "warmup_ratio": "0.2"}),
    ([], {}),
])
def test_parse_override_pairs(pairs: list[str], expected: dict[str, str]) -> None:
    assert parse_override_pairs(pairs) == expected


def test_parse_override_pairs_needs_an_equals_sign() -> None:
    with pytest.raises(OverrideError, match="'warmup_ratio' is not of the form key=value"):
        parse_override_pairs(["warmup_ratio"])


def test_sft_config_translation(tmp_path: Path) -> None:
    config = SFTStageConfig(max_steps=7, learning_rate=1e-4, batch_size=3, grad_accum=2, max_length=256, seed=5,
                            bf16=False, save_steps=4)
    args = sft_config(config, tmp_path / "checkpoints", {"weight_decay": "0.1", "lr_scheduler_type": "cosine",
                                                         "report_to": "none", "pad_to_multiple_of": "8"})
    assert (args.output_dir, args.max_steps, args.learning_rate, args.per_device_train_batch_size) == (
        str(tmp_path / "checkpoints"), 7, 1e-4, 3)
    assert (args.gradient_accumulation_steps, args.max_length, args.seed, args.bf16, args.save_steps) == (
        2, 256, 5, False, 4)
    assert args.completion_only_loss is True and args.activation_checkpointing is False
    assert (args.weight_decay, args.lr_scheduler_type.value, args.pad_to_multiple_of) == (0.1, "cosine", 8)
    assert sft_config(SFTStageConfig(bf16=False), tmp_path, {"gradient_checkpointing": "true"}).activation_checkpointing
    assert args.train_sampling_strategy == "random"
    grouped = sft_config(SFTStageConfig(bf16=False, group_by_length=True), tmp_path)
    assert grouped.train_sampling_strategy == "group_by_length"


def test_grpo_config_translation(tmp_path: Path) -> None:
    config = RLStageConfig(batch_size=2, num_generations=3, max_completion_length=16, beta=0.01, bf16=False,
                           vllm=VLLMSettings(mode="server", server_url="http://gpu:8000"))
    args = grpo_config(config, tmp_path, [1.0, 0.2], {"temperature": "0.7"})
    assert (args.per_device_train_batch_size, args.num_generations, args.max_completion_length) == (6, 3, 16)
    assert (args.beta, args.reward_weights, args.temperature, args.logging_steps) == (0.01, [1.0, 0.2], 0.7, 1)
    assert (args.use_vllm, args.vllm_mode, args.vllm_server_base_url) == (True, "server", "http://gpu:8000")


@pytest.mark.parametrize(("overrides", "message"), [
    ({"weight_decy": "0.1"}, r"`weight_decy` is not a SFTConfig field \(did you mean `weight_decay`\?\)"),
    ({"max_steps": "3"}, r"`max_steps` is set by --max-steps, not by --trl-arg"),
    ({"completion_only_loss": "false"}, r"SFT always trains on the completion only"),
    ({"train_sampling_strategy": "sequential"}, r"set by --group-by-length"),
    ({"weight_decay": "lots"}, r"`weight_decay=lots`: expected float"),
    ({"packing": "maybe"}, r"`packing=maybe`: expected bool"),
    ({"nope": "1", "max_length": "9"}, r"bad TRL overrides: `nope` .*; `max_length` is set by --max-length"),
])
def test_bad_overrides_are_reported_together(tmp_path: Path, overrides: dict[str, str], message: str) -> None:
    with pytest.raises(OverrideError, match=message):
        sft_config(SFTStageConfig(bf16=False), tmp_path, overrides)


def test_rl_reserves_its_own_fields(tmp_path: Path) -> None:
    with pytest.raises(OverrideError, match=r"`num_generations` is set by --num-generations"):
        grpo_config(RLStageConfig(bf16=False), tmp_path, [1.0], {"num_generations": "8"})


def test_trl_rejections_become_override_errors(tmp_path: Path) -> None:
    with pytest.raises(OverrideError, match="TRL rejected the training configuration"):
        grpo_config(RLStageConfig(bf16=False), tmp_path, [1.0], {"generation_batch_size": "3"})
