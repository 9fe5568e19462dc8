"""A failure inside TRL's training loop is `TrainingFailedError` (exit 1: rerun to resume), recorded in the
manifest; a failure anywhere else is not dressed up as one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trainer.training import SFTStageConfig, TrainingFailedError, read_manifest, train_sft


@pytest.mark.parametrize("raised", [RuntimeError("CUDA out of memory"), OSError(28, "No space left on device")])
def test_a_failure_mid_training_is_training_failed(raised: Exception, gen_dir: Path, tiny_model_dir: Path,
                                                   tmp_path: Path) -> None:
    from transformers import TrainerCallback

    class Fail(TrainerCallback):
        def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            raise raised

    config = SFTStageConfig(model=f"hf:{tiny_model_dir}", max_steps=1, batch_size=2, max_length=256, bf16=False)
    with pytest.raises(TrainingFailedError) as info:
        train_sft(gen_dir, tmp_path / "run", config, callbacks=[Fail()])
    assert info.value.exit_code == 1 and info.value.__cause__ is raised
    assert str(info.value).startswith(f"training failed: {type(raised).__name__}: ")
    assert "rerun the same command to resume" in info.value.hint
    manifest = read_manifest(tmp_path / "run" / "run.json")
    assert manifest is not None and manifest.status == "failed" and type(raised).__name__ in str(manifest.error)
