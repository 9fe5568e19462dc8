"""Errors the evaluation package raises. Each says what went wrong, where, and what to do (`hint`).

    EvalError               an evaluation cannot run as asked (e.g. prompts without a category and no spec)
     └── InputFileError     a prompt file or labelled file cannot be read (names path:line); also a
                            `compiler.prompt_files.PromptFileError`

`str(error)` is the message followed by the hint; the CLI prints it as one line plus a hint line.
A judge reply that cannot be read is not an error: that response is *unscored* and counted as such.
"""

from __future__ import annotations

from compiler.prompt_files import PromptFileError


class EvalError(Exception):
    """An evaluation cannot run as asked."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message + (f"\n  hint: {hint}" if hint else ""))
        self.message = message
        self.hint = hint


class InputFileError(EvalError, PromptFileError):
    """A prompt file or a labelled file cannot be read; the message names the file and line."""

    @classmethod
    def of(cls, error: PromptFileError) -> InputFileError:
        """The same error, as an evaluation error."""
        return cls(error.message, error.hint)
