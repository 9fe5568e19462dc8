"""Errors the compiler raises. Each says what went wrong, where, and what to do (`hint`).

    CompileError            the spec cannot be compiled as asked
     ├── TemplateError      a template is missing, does not parse, or fails to render (names file:line)
     ├── BundleError        a bundle on disk is missing, corrupt, inconsistent or cannot be written
     └── TokenizerError     the tokenizer for token counts cannot be loaded

Every one is a `spec_lang.errors.DelibError`: `str(error)` is the message followed by the hint; the CLI
prints it as one line plus a hint line.
A judge reply that cannot be read is not a compile error: see `compiler.verdict.VerdictError`.
"""

from __future__ import annotations

from spec_lang.errors import DelibError


class CompileError(DelibError):
    """The spec cannot be compiled as asked."""


class TemplateError(CompileError):
    """A template is missing, does not parse, or fails to render."""


class BundleError(CompileError):
    """A bundle on disk is missing, corrupt or inconsistent, or cannot be written."""


class TokenizerError(CompileError):
    """The tokenizer used for token counts cannot be loaded."""
