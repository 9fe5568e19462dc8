"""The slower real things: SFT on the real embedded SmolLM2, and the CLI under a distributed launcher.

All marked `slow` (about a minute each on two CPU cores): the launchers start fresh Python processes that
import torch, transformers and TRL again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trainer.training import SFTStageConfig, train_sft

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


@pytest.mark.slow
def test_sft_on_the_embedded_smollm2(gen_dir: Path, tmp_path: Path, delib_model_cache: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Two SFT steps on the real SmolLM2-135M-Instruct; its default system prompt is removed and recorded."""
    from trainer.backends import ModelUnavailableError, embedded_model_dir

    monkeypatch.setenv("DELIB_CACHE", str(delib_model_cache))
    try:
        embedded_model_dir(delib_model_cache)
    except ModelUnavailableError as exc:
        pytest.skip(f"embedded model unavailable: {exc}")
    config = SFTStageConfig(model="embedded", max_steps=2, batch_size=1, max_length=256, learning_rate=1e-5,
                            bf16=False, save_steps=100)
    result = train_sft(gen_dir, tmp_path / "run", config)
    manifest = result.manifest
    assert manifest.base_model.loaded_as == "embedded" and manifest.base_model.model_id.startswith("embedded:")
    assert manifest.chat_template.removed_default_system is not None
    assert manifest.metrics["global_step"] == 2 and 0 < manifest.metrics["train_loss"] < 20
    assert (tmp_path / "run" / "final" / "model.safetensors").is_file()


def _launch(kind: str, args: list[str]) -> list[str]:
    if kind == "accelerate":
        return [str(BIN / "accelerate"), "launch", "--cpu", "--num_processes", "1", "--num_machines", "1",
                "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "trainer.cli", *args]
    return [str(BIN / "torchrun"), "--nproc_per_node", "2", "-m", "trainer.cli", *args]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["accelerate", "torchrun-gloo-2"])
def test_cli_sft_under_a_launcher(kind: str, gen_dir: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    """`accelerate launch -m trainer.cli train sft` (1 CPU process), and DDP over 2 CPU processes (gloo):
    the run completes and only one process writes the run folder."""
    if not (BIN / kind.split("-")[0]).exists():
        pytest.skip(f"{kind.split('-')[0]} is not installed in this environment")
    run = tmp_path / "run"
    args = ["train", "sft", str(gen_dir), "-o", str(run), "--model", f"hf:{tiny_model_dir}", "--max-steps", "2",
            "--batch-size", "2", "--lr", "1e-3", "--max-length", "256", "--no-bf16"]
    env = os.environ | {"ACCELERATE_USE_CPU": "true", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run(_launch(kind, args), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count(f"trained {run}") == 1  # one report, from the main process
    manifest = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "completed" and manifest["metrics"]["global_step"] == 2
    assert (run / "final" / "config.json").is_file()
