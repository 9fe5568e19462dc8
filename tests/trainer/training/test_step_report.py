"""Training progress as delib's own lines: the trainer's raw metric-dict printers are replaced."""

from __future__ import annotations

from typing import Any

import pytest

from trainer.training._step_report import report_steps, step_line


@pytest.mark.parametrize(("logs", "line"), [
    ({"loss": 2.31456, "learning_rate": 1e-4, "grad_norm": 3.0}, "sft step 4/14: loss 2.315, learning_rate 0.0001"),
    ({"reward": 0.5, "total_flos": 12.0}, "sft step 4/14: reward 0.5"),
    ({"epoch": 1.0}, "sft step 4/14"),
])
def test_step_line(logs: dict[str, Any], line: str) -> None:
    assert step_line("sft", 4, 14, logs) == line


class _Trainer:
    def __init__(self) -> None:
        from transformers import PrinterCallback, ProgressCallback

        self.callbacks: list[Any] = [PrinterCallback, ProgressCallback()]

    def remove_callback(self, kind: type) -> None:
        self.callbacks = [c for c in self.callbacks if c is not kind and not isinstance(c, kind)]

    def add_callback(self, callback: Any) -> None:
        self.callbacks.append(callback)


def test_report_steps_replaces_the_printers(capsys: pytest.CaptureFixture[str]) -> None:
    trainer = _Trainer()
    report_steps(trainer, "rl")
    assert [type(c).__name__ for c in trainer.callbacks] == ["StepReport"]

    class State:
        is_world_process_zero, global_step, max_steps = True, 2, 2

    trainer.callbacks[0].on_log(None, State(), None, logs={"loss": 1.5, "reward": 0.25})
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "rl step 2/2: loss 1.5, reward 0.25\n"
