"""Errors raised by `trainer.training`. Each says what went wrong, where, and what to do (`hint`).

    TrainingError               base class (a `spec_lang.errors.DelibError`): the CLI prints `str(error)`
     │                          (message, then the hint) and exits 2
     ├── DataError              the dataset or prompts file is missing, empty or malformed
     ├── ModelSourceError       `--model` names no model this machine can load
     ├── OverrideError          a `--trl-arg key=value` names no TRL field, or its value does not parse
     ├── PreflightError         the rendered training sample fails a check (reasoning not trained, system prompt)
     ├── RunStateError          the run folder holds another run, or its manifest is corrupt
     └── TrainingFailedError    training started and failed inside TRL or torch (exit 1: rerun to resume)

A failure inside TRL's training loop (out of memory, a NaN check, a full disk) is recorded in the run's
manifest as `failed` and raised as `TrainingFailedError` from the original exception.
"""

from __future__ import annotations

from spec_lang.errors import DelibError


class TrainingError(DelibError):
    """A training run cannot start or go on as asked."""


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


class TrainingFailedError(TrainingError):
    """Training started and failed (the run's manifest says why); rerunning resumes from the last checkpoint."""

    exit_code = 1
