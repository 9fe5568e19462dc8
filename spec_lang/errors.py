"""The one error type every layer raises for a problem the user can fix: `DelibError(message, hint)`.

Each package's errors subclass it, so the command line maps them in one place (`trainer.cli.main`):
it prints `str(error)` (the message, then `  hint: ...`) and exits with `error.exit_code`, 2 unless a
class says otherwise. Anything else reaching the user is a bug (exit 70).

    DelibError                      what went wrong, where, and what to do (exit 2)
     ├── OutputError                an output file cannot be written (`spec_lang.atomic.write_atomic`)
     ├── EmptyResultError           the command ran and produced nothing usable (exit 1, like a failed check)
     ├── spec_lang.SpecLoadError    a spec cannot be read at all (carries a diagnostic)
     ├── compiler.CompileError      TemplateError, BundleError, TokenizerError
     ├── compiler.prompt_files.PromptFileError  a prompt file cannot be read (`path:line: reason`)
     ├── compiler.retrieval.EmbedderError, RetrievalIndexError
     ├── compiler.verdict.VerdictError          a judge reply cannot be read (also a ValueError)
     ├── trainer.backends.BackendError          a model backend cannot be set up
     ├── trainer.judging.JudgeError             a request the judge cannot grade
     ├── trainer.generation.WorkLogError, RoutingError
     ├── trainer.evaluation.EvalError
     ├── trainer.promptsets.PromptSetError
     ├── trainer.training.TrainingError         project, spec input and retrain errors too
     │    └── TrainingFailedError               training started and failed (exit 1: rerun to resume)
     └── trainer.cli.CliError                   bad usage found by a command (its own exit code)

This module imports nothing, so every layer can import it.
"""

from __future__ import annotations

from pathlib import Path


class DelibError(Exception):
    """A problem the user can fix: `message` says what and where, `hint` what to do (may be empty)."""

    exit_code: int = 2
    """The command line's exit status for this error (2: unreadable input or bad usage)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message + (f"\n  hint: {hint}" if hint else ""))
        self.message = message
        self.hint = hint


class EmptyResultError(DelibError):
    """The command ran and produced nothing usable (e.g. the judge kept no row): exit 1, not 2, because the
    input was read and the run was valid; what to change is in the hint."""

    exit_code = 1


class OutputError(DelibError):
    """An output file cannot be written; `path` is the file, `reason` the operating system's words."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: cannot write ({reason})",
                         "check that the folder is writable and the disk has space")
        self.path = path
        self.reason = reason

    @classmethod
    def of(cls, path: Path, exc: OSError) -> OutputError:
        """The error of writing `path` that failed with `exc`; a folder on the way that is a file is named
        (the system would only say "File exists" or "Not a directory")."""
        blocker = next((p for p in Path(path).parents if p.exists() and not p.is_dir()), None)
        return cls(path, f"{blocker} is a file, not a folder" if blocker else exc.strerror or str(exc))
