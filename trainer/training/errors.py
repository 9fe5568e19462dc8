"""Errors raised by `trainer.training`. Each says what went wrong, where, and what to do (`hint`).

    TrainingError               base class: the CLI prints `str(error)` (message, then the hint) and exits 2
     ├── DataError              the dataset or prompts file is missing, empty or malformed
     ├── ModelSourceError       `--model` names no model this machine can load
     ├── OverrideError          a `--trl-arg key=value` names no TRL field, or its value does not parse
     ├── PreflightError         the rendered training sample fails a check (reasoning not trained, system prompt)
     └── RunStateError          the run folder holds another run, or its manifest is corrupt

Failures inside TRL's training loop are not wrapped: the run's manifest records them as `failed`
and the original exception propagates (the CLI turns it into one line).
"""

from __future__ import annotations


class TrainingError(Exception):
    """A training run cannot start or go on as asked."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message + (f"\n  hint: {hint}" if hint else ""))
        self.message = message
        self.hint = hint


class DataError(TrainingError):
    """The training data (a generation output folder or an RL prompts file) is missing, empty or malformed."""


class ModelSourceError(TrainingError):
    """The model to train cannot be found or loaded."""


class OverrideError(TrainingError, ValueError):
    """A TRL override (`--trl-arg key=value`) is unknown, reserved, or has a value of the wrong type."""


class PreflightError(TrainingError):
    """A training sample, rendered through the chat template, would not train what the format needs."""


class RunStateError(TrainingError):
    """The run folder cannot be used: another run lives there, or its manifest cannot be read."""
