"""Evaluation inputs: prompt files (`delib eval`) and labelled responses (`delib eval-judge`).

Prompt files are read by the one prompt-file reader, `compiler.prompt_files` (its docstring and the
README's "Prompt files" section give the format: JSONL, CSV as XSTest's, `prompt` or `messages`,
optional `id`, `category`, `label`, `expected`, every other column kept as `meta`). Here a row becomes an
`EvalPrompt`, keyed by its `id` or, without one, its line.

Labelled files have the same shape (`prompt` or `messages`) plus `response` and a `label` that is the
response's style as a person judged it (`comply`, `refuse` or `safe_complete`); optional `category` and
`id`; other fields kept.

Every problem in a file is collected and reported with its line (`InputFileError`); nothing is half-read.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from compiler import prompt_files
from compiler.prompt_files import (
    PROMPT_COLUMN,
    PromptFileError,
    PromptLabel,
    RowError,
    expected_responses,
    last_user_text,
    meta_columns,
    optional_text,
    parse_messages,
    parse_response,
    prompt_columns,
    read_rows,
)
from spec_lang.model import Response
from trainer.evaluation.errors import InputFileError
from trainer.judging import Message as ChatMessage

__all__ = ["EvalPrompt", "InputFileError", "LabeledResponse", "PromptLabel", "expected_responses", "last_user_text",
           "read_labeled_file", "read_prompt_file"]

_FROZEN = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class EvalPrompt(BaseModel):
    """One prompt to evaluate."""

    model_config = _FROZEN

    id: str
    """Unique in the file; pairs the answers of two models."""
    messages: tuple[ChatMessage, ...]
    """The conversation the model answers (no spec in it)."""
    category: str | None
    """The category from the file, or None (routed by retrieval)."""
    label: PromptLabel | None
    """Whether a well-calibrated model should answer (`safe`) or decline (`unsafe`); None if unlabelled."""
    expected: tuple[Response, ...]
    """The responses that count as right (the file's `expected`, else from `label`); empty when unknown."""
    meta: dict[str, str]
    """The file's other columns, as text."""
    line: int
    """1-based line (JSONL) or row (CSV, header = 1) in the file."""

    @property
    def text(self) -> str:
        """The last user turn (what retrieval routes on)."""
        return last_user_text(self.messages)


class LabeledResponse(BaseModel):
    """A response with the style a person judged it to have."""

    model_config = _FROZEN

    id: str
    messages: tuple[ChatMessage, ...]
    response: str
    label: Response
    category: str | None
    meta: dict[str, str]
    """The file's other fields, as text (e.g. `split`)."""
    line: int

    @property
    def text(self) -> str:
        """The last user turn (what retrieval routes on)."""
        return last_user_text(self.messages)


def _labeled_row(record: Mapping[str, Any], line: int, source: str) -> LabeledResponse:
    given = [c for c in prompt_columns(PROMPT_COLUMN) if c in record]  # `prompt` or `messages`, as prompt files
    if len(given) > 1:
        raise RowError(f"both `{given[0]}` and `{given[1]}` are given; keep one")
    for field in (given[0] if given else "prompt", "response", "label"):
        if field not in record:
            raise RowError(f"no `{field}` field (labelled rows need prompt, response and label)")
    if not isinstance(record["response"], str):
        raise RowError("`response` must be text")
    known = {"id", given[0], "response", "label", "category"}
    return LabeledResponse(id=optional_text(record.get("id")) or str(line),
                           messages=parse_messages(record[given[0]], given[0]), response=record["response"],
                           label=parse_response(record["label"], "label"),
                           category=optional_text(record.get("category")), meta=meta_columns(record, known), line=line)


def read_prompt_file(path: str | Path, category_column: str = "category") -> tuple[EvalPrompt, ...]:
    """Every prompt of a prompt file. Raises `InputFileError` listing the bad rows."""
    try:
        rows = prompt_files.read_prompt_file(path, category_column=category_column)
    except PromptFileError as exc:
        raise InputFileError.of(exc) from None
    return tuple(EvalPrompt(id=r.key, messages=r.messages, category=r.category, label=r.label, expected=r.expected,
                            meta=r.meta, line=r.line) for r in rows)


def read_labeled_file(path: str | Path) -> tuple[LabeledResponse, ...]:
    """Every labelled response of a JSONL (or CSV) file. Raises `InputFileError` listing the bad rows."""
    try:
        return read_rows(path, _labeled_row, lambda r: r.id, what="labelled rows",
                         hint="each row needs `prompt`, `response` and `label` (comply, refuse or safe_complete)")
    except PromptFileError as exc:
        raise InputFileError.of(exc) from None
