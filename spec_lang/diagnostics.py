"""Diagnostics are data: a stable code, a severity, a source span, a message and a fix hint.

Every code is registered in `CODES` with a one-line summary; `policies/README.md` documents each one
and `tests/spec_lang/fixtures/lint/` holds a failing fixture per code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from spec_lang.model import Span

Severity = Literal["error", "warning"]

CODES: dict[str, tuple[Severity, str]] = {
    # Files
    "SPEC001": ("error", "file cannot be read (missing, a directory, no permission, or bad git revision)"),
    "SPEC002": ("error", "file is not valid UTF-8"),
    "SPEC003": ("error", "file looks binary (contains NUL bytes)"),
    "SPEC004": ("error", "file is larger than the size limit"),
    "SPEC005": ("error", "file is empty or has no section"),
    # Front matter and headings
    "SPEC010": ("error", "front matter is not a valid YAML mapping"),
    "SPEC011": ("error", "front matter key missing or of the wrong type"),
    "SPEC012": ("error", "front matter `id` is not a valid id"),
    "SPEC013": ("error", "front matter uses a YAML alias, nests too deep or has an over-long number"),
    "SPEC014": ("error", "front matter opened by `---` is never closed"),
    "SPEC020": ("error", "heading has no `{#id}` and is not a known part heading"),
    "SPEC021": ("error", "malformed attribute block or rule id block"),
    "SPEC022": ("error", "invalid attribute value (e.g. unknown authority or kind)"),
    "SPEC023": ("warning", "unknown attribute key"),
    "SPEC024": ("error", "part heading outside a section, or not below its section's level"),
    # Ids and references
    "SPEC030": ("error", "duplicate id"),
    "SPEC031": ("error", "cross-reference to an unknown id"),
    "SPEC032": ("error", "`BAD[#id]` label names an unknown id"),
    "SPEC033": ("warning", "footnote's example file is missing"),
    "SPEC034": ("warning", "example file that no footnote refers to"),
    "SPEC035": ("warning", "footnote references point to an examples/ folder that does not exist"),
    # Examples
    "SPEC040": ("error", "unclosed tag in an example dialogue"),
    "SPEC041": ("error", "unknown or misplaced tag in an example dialogue"),
    "SPEC042": ("error", "stray text outside the tags of an example dialogue"),
    "SPEC043": ("error", "comparison with no GOOD candidate"),
    "SPEC044": ("error", "candidate label missing or malformed"),
    "SPEC045": ("warning", "`**Example**:` paragraph not followed by a dialogue block"),
    "SPEC046": ("error", "example dialogue with no message"),
    "SPEC047": ("error", "unclosed code fence"),
    "SPEC048": ("warning", "stray characters before a dialogue tag (read as the tag)"),
    # Categories and rules
    "SPEC050": ("warning", "category with no content"),
    "SPEC051": ("error", "rule without an id in a rule group"),
    "SPEC052": ("warning", "category with no rules (our dialect)"),
    "SPEC053": ("warning", "style section without a `response` attribute"),
    "SPEC054": ("warning", "category without examples (our dialect)"),
    "SPEC055": ("warning", "category does not open with a summary paragraph"),
    "SPEC056": ("warning", "category without an `authority` attribute"),
    "SPEC057": ("warning", "rule id breaks the naming convention `<section id>.<letter><n>` "
                           "(c comply, r refuse, s safe completion)"),
}
"""Every diagnostic code with its default severity and a one-line summary."""


class Diagnostic(BaseModel):
    """One problem found in a spec."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    code: str = Field(description="Stable code, e.g. SPEC031 (see `CODES`).")
    severity: Severity = Field(description="`error` fails lint; `warning` does not.")
    span: Span = Field(description="Where the problem is.")
    message: str = Field(description="What is wrong, naming the bad value.")
    hint: str | None = Field(default=None, description="What to do about it.")

    def format(self) -> str:
        """`path:line:col: CODE message (hint)`, the form compilers and linters print."""
        text = f"{self.span}: {self.code} {self.message}"
        return f"{text}\n    hint: {self.hint}" if self.hint else text


def diag(code: str, span: Span, message: str, hint: str | None = None) -> Diagnostic:
    """Build a diagnostic with the code's registered severity."""
    severity, _ = CODES[code]
    return Diagnostic(code=code, severity=severity, span=span, message=message, hint=hint)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.span.path, d.span.line, d.span.col, d.code)


def to_json(diagnostics: Iterable[Diagnostic]) -> str:
    return json.dumps([d.model_dump(mode="json") for d in diagnostics], indent=2, ensure_ascii=False)
