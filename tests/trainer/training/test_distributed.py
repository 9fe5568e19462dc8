"""`delib train sft` and `delib train rl` under `accelerate launch --num_processes 2` on CPUs (DDP over gloo) on
the tiny random Llama: one manifest, one final model, one report, metrics over both processes.

`accelerate launch --cpu --num_processes 2` starts ONE process (accelerate's simple launcher; several CPU
processes need mpirun), so the launch uses the torchrun-based `--multi_gpu` launcher with the GPUs hidden:
the two processes must find out themselves that they share the CPU (`_trl_args`: `use_cpu`).
Marked `slow` (each launch starts two Python processes that import torch, transformers and TRL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from trainer.training import SFTStageConfig, train_sft

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
PROCESSES = 2


def _launch(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [str(BIN / "accelerate"), "launch", "--multi_gpu", "--num_processes", str(PROCESSES), "--num_machines",
               "1", "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "trainer.cli", *args]
    env = {k: v for k, v in os.environ.items() if k != "ACCELERATE_USE_CPU"} | {
        "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO), "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _manifest(run: Path) -> dict[str, Any]:
    return dict(json.loads((run / "run.json").read_text(encoding="utf-8")))


def _history(run: Path, step: int) -> list[dict[str, Any]]:
    state = json.loads((run / "checkpoints" / f"checkpoint-{step}" / "trainer_state.json").read_text())
    return list(state["log_history"])


def _one_run(run: Path, done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The checks every distributed run must pass: exit 0, one report, one manifest, one final model."""
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.count(f"trained {run}") == 1, done.stdout  # one report, from the main process
    assert sorted(p.name for p in run.iterdir() if p.name != "bundle") == ["checkpoints", "final", "run.json"]
    assert (run / "final" / "config.json").is_file() and (run / "final" / "model.safetensors").is_file()
    manifest = _manifest(run)
    assert manifest["status"] == "completed" and manifest["final_checkpoint"] == str(run / "final")
    return manifest


@pytest.mark.slow
def test_sft_then_rl_on_two_processes(gen_dir: Path, bundle_dir: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    if not (BIN / "accelerate").exists():
        pytest.skip("accelerate is not installed in this environment")
    sft = tmp_path / "sft"
    done = _launch(["train", "sft", str(gen_dir), "-o", str(sft), "--model", f"hf:{tiny_model_dir}", "--max-steps",
                    "2", "--batch-size", "2", "--lr", "1e-3", "--max-length", "256", "--no-bf16"], tmp_path)
    manifest = _one_run(sft, done)
    metrics = manifest["metrics"]
    assert metrics["global_step"] == 2 and metrics["processes"] == PROCESSES
    # the last step is logged (the loss since the last log, gathered over both processes) and saved with the
    # checkpoint: the run's loss is that, not the main process's own
    losses = [(e["step"], e["loss"]) for e in _history(sft, 2) if "loss" in e]
    assert losses == [(2, pytest.approx(metrics["train_loss"], rel=1e-6))]
    # 2 processes x 2 rows x 2 steps: every one of the 8 rows once, as one process with 4 rows a step sees them
    single = train_sft(gen_dir, tmp_path / "single", SFTStageConfig(
        model=f"hf:{tiny_model_dir}", max_steps=2, batch_size=4, learning_rate=1e-3, max_length=256, bf16=False))
    assert single.manifest.metrics["processes"] == 1
    assert metrics["num_tokens"] == single.manifest.metrics["num_tokens"] > 0

    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": f"How do I bake bread, take {i}?",
                                           "category": "advice" if i % 2 else "violence"}) + "\n"
                               for i in range(4)))
    rl = tmp_path / "rl"
    done = _launch(["train", "rl", str(bundle_dir), "--prompts", str(prompts), "--model", str(sft), "-o", str(rl),
                    "--panel", "--no-panel-llm", "--max-steps", "2", "--batch-size", "1", "--num-generations", "2",
                    "--max-completion-length", "8", "--lr", "1e-5", "--no-bf16"], tmp_path)
    manifest = _one_run(rl, done)
    metrics = manifest["metrics"]
    assert metrics["global_step"] == 2 and metrics["processes"] == PROCESSES
    assert manifest["parent_run"] == str(sft) and (rl / "bundle" / "manifest.json").is_file()
    rewards = [e["reward"] for e in _history(rl, 2) if "reward" in e]
    assert len(rewards) == 2 and metrics["reward"] == pytest.approx(sum(rewards) / 2, rel=1e-6)
    assert {"rewards_by_category/advice/judge", "rewards_by_category/violence/judge"} <= set(metrics)
