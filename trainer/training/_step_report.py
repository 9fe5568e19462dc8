"""Training progress in delib's words: one line per logging step on stderr (`sft step 4/14: loss 2.31`),
instead of transformers' progress bar and the raw metric dicts its `PrinterCallback` / `ProgressCallback`
print (which would also break `--json` on stdout)."""

from __future__ import annotations

import sys
from typing import Any

SHOWN = ("loss", "reward", "learning_rate")
"""The logged metrics a progress line shows (when present)."""


def step_line(name: str, step: int, max_steps: int, logs: dict[str, Any]) -> str:
    """`sft step 4/14: loss 2.31, learning_rate 0.0001`."""
    figures = [f"{key} {logs[key]:.4g}" for key in SHOWN if isinstance(logs.get(key), int | float)]
    return f"{name} step {step}/{max_steps}" + (": " + ", ".join(figures) if figures else "")


def report_steps(trainer: Any, name: str) -> None:
    """Replace the trainer's printing callbacks with one line per logging step on stderr (main process)."""
    from transformers import PrinterCallback, ProgressCallback, TrainerCallback

    class StepReport(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
                   **kwargs: Any) -> None:
            if state.is_world_process_zero and logs and any(key in logs for key in SHOWN):
                print(step_line(name, state.global_step, state.max_steps, logs), file=sys.stderr, flush=True)

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(StepReport())
