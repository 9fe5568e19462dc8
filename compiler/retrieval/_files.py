"""Query and labelled-prompt files: JSONL (one object per line) or CSV (a header row), read with errors
that name the file, the line and what to fix."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

MAX_BYTES = 512 * 1024 * 1024


class QueryFileError(Exception):
    """A query or labelled file cannot be read; the message says where and what to do."""


class LabeledPrompt(BaseModel):
    """A prompt with the category that governs it; `hide` names examples to leave out (leave-one-out)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt: str = Field(description="The prompt text.")
    category: str = Field(description="Section id of the category that governs the prompt.")
    hide: tuple[str, ...] = Field(default=(), description="Example keys the retriever must not see for it.")


def _text(path: Path) -> str:
    if not path.exists():
        raise QueryFileError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise QueryFileError(f"{path}: is a folder; name a .jsonl or .csv file")
    try:
        if path.stat().st_size > MAX_BYTES:
            raise QueryFileError(f"{path}: larger than {MAX_BYTES // 2**20} MiB; split it")
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise QueryFileError(f"{path}: not UTF-8 text (byte {exc.start}); re-save it as UTF-8") from exc
    except OSError as exc:
        raise QueryFileError(f"{path}: cannot read ({exc.strerror}); check permissions") from exc


def _jsonl_rows(path: Path, text: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QueryFileError(f"{path}:{number}:{exc.colno}: invalid JSON ({exc.msg}); each line must be "
                                 f'one JSON object such as {{"prompt": "..."}}') from exc
        if not isinstance(data, dict):
            raise QueryFileError(f"{path}:{number}: expected a JSON object, got {type(data).__name__}")
        rows.append(_fields(path, number, data, fields))
    return rows


def _fields(path: Path, number: int, data: dict[str, object], fields: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for field in fields:
        value = data.get(field)
        if not isinstance(value, str) or not value.strip():
            got = "missing" if value is None else f"{type(value).__name__} {str(value)[:40]!r}"
            raise QueryFileError(f"{path}:{number}: field {field!r} must be a non-empty string ({got}); "
                                 f"every row needs {', '.join(repr(f) for f in fields)}")
        out[field] = value
    return out


def _csv_rows(path: Path, text: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [f for f in fields if f not in header]
    if missing:
        raise QueryFileError(f"{path}:1: CSV header {header} has no column {', '.join(map(repr, missing))}; "
                             f"add a header row naming {', '.join(map(repr, fields))}")
    try:
        return [_fields(path, reader.line_num, dict(row), fields) for row in reader]
    except csv.Error as exc:
        raise QueryFileError(f"{path}:{reader.line_num}: bad CSV ({exc})") from exc


def read_rows(path: Path, fields: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a `.csv` file (by header) or of a JSONL file (any other name), each with `fields`."""
    text = _text(path)
    rows = _csv_rows(path, text, fields) if path.suffix.lower() == ".csv" else _jsonl_rows(path, text, fields)
    if not rows:
        raise QueryFileError(f"{path}: no rows; write one JSON object per line with a 'prompt' field")
    return rows


def read_prompts(path: Path) -> list[str]:
    """The `prompt` of every row of a JSONL or CSV file."""
    return [row["prompt"] for row in read_rows(path, ("prompt",))]


def read_labeled(path: Path) -> list[LabeledPrompt]:
    """Rows with `prompt` and `category` of a JSONL or CSV file."""
    return [LabeledPrompt(prompt=r["prompt"], category=r["category"])
            for r in read_rows(path, ("prompt", "category"))]
