"""Errors the evaluation package raises. Each says what went wrong, where, and what to do (`hint`).

    EvalError               an evaluation cannot run as asked (e.g. prompts without a category and no spec)
     └── InputFileError     a prompt file or labelled file cannot be read (names path:line); also a
                            `compiler.prompt_files.PromptFileError`

`str(error)` is the message followed by the hint; the CLI prints it as one line plus a hint line.
A judge reply that cannot be read is not an error: that response is *unscored* and counted as such.
"""

from __future__ import annotations

from compiler.prompt_files import PromptFileError
from spec_lang.errors import DelibError


class EvalError(DelibError):
    """An evaluation cannot run as asked."""


class InputFileError(EvalError, PromptFileError):
    """A prompt file or a labelled file cannot be read; the message names the file and line."""

    @classmethod
    def of(cls, error: PromptFileError) -> InputFileError:
        """The same error, as an evaluation error."""
        return cls(error.message, error.hint)
