"""Prompts for generation: rows of a prompt file (`compiler.prompt_files`, the one reader) as `PromptRow`s.

Any prompt file works: JSONL, CSV (XSTest's as is), parquet, or a `datasets` folder saved to disk; a
row's prompt is text or a conversation (`prompt` or `messages`). Rows without a category are routed by
retrieval. Errors (`PromptFileError`) name the file, every bad line and what to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from compiler.prompt_files import CATEGORY_COLUMN, PROMPT_COLUMN, PromptFileError, read_prompt_file
from spec_lang.model import Response
from trainer.judging import Message

DEFAULT_PROMPT_COLUMN = PROMPT_COLUMN
DEFAULT_CATEGORY_COLUMN = CATEGORY_COLUMN

__all__ = ["DEFAULT_CATEGORY_COLUMN", "DEFAULT_PROMPT_COLUMN", "PromptFileError", "PromptRow", "read_prompts"]


class PromptRow(BaseModel):
    """One input prompt."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    prompt: tuple[Message, ...]
    """The conversation to answer (ends with a user turn); no spec system prompt."""
    category: str | None = None
    """The category, when the file gives one; None: retrieval decides."""
    source: str = ""
    """Where the row came from, `FILE:ROW` (1-based rows; for JSONL the line number)."""
    label: Literal["safe", "unsafe"] | None = None
    """The file's `label`: whether a well-calibrated model should answer or decline; None if unlabelled."""
    expected: tuple[Response, ...] = ()
    """The responses that count as right: the file's `expected`, else derived from `label`; () if unknown."""
    id: str | None = None
    """The file's `id`, when it gives one."""


def read_prompts(path: str | Path, *, prompt_column: str = DEFAULT_PROMPT_COLUMN,
                 category_column: str | None = None, limit: int | None = None) -> list[PromptRow]:
    """The prompts of a prompt file (`.jsonl`, `.csv`, `.parquet`, or a `save_to_disk` folder).

    `prompt_column` `prompt` also reads a `messages` column; `category_column=None` reads a `category`
    column when there is one (XSTest has none); a column named otherwise must exist. `limit` keeps the
    first rows. Raises `PromptFileError` listing every bad row.
    """
    rows = read_prompt_file(path, prompt_column=prompt_column, category_column=category_column or CATEGORY_COLUMN,
                            limit=limit)
    return [PromptRow(prompt=r.messages, category=r.category, source=r.source, label=r.label, expected=r.expected,
                      id=r.id) for r in rows]
