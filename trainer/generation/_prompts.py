"""Reading prompt files: JSONL, CSV (XSTest's included), parquet, or a `datasets` dataset saved to disk.

A row's prompt column holds either a string (one user turn) or a conversation, a list of
`{"role", "content"}` messages (TRL's conversational format). The category column is optional: rows
without a category are routed by retrieval. Errors name the file, the row and what to do.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, ConfigDict

from trainer.backends import Role
from trainer.judging import Message

ROLES: tuple[Role, ...] = ("system", "developer", "user", "assistant", "tool")
DEFAULT_PROMPT_COLUMN = "prompt"
DEFAULT_CATEGORY_COLUMN = "category"


class PromptFileError(Exception):
    """A prompt file cannot be read; the message says where and what to do."""


class PromptRow(BaseModel):
    """One input prompt."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    prompt: tuple[Message, ...]
    """The conversation to answer (ends with a user turn); no spec system prompt."""
    category: str | None = None
    """The category, when the file gives one; None: retrieval decides."""
    source: str = ""
    """Where the row came from, `FILE:ROW` (1-based rows; for JSONL the line number)."""


def _messages(value: Any, where: str, column: str) -> tuple[Message, ...]:
    if isinstance(value, str):
        if not value.strip():
            raise PromptFileError(f"{where}: column {column!r} is empty; every row needs a prompt")
        return (Message(role="user", content=value),)
    if isinstance(value, list) and value:
        out = []
        for n, item in enumerate(value):
            ok = isinstance(item, Mapping) and item.get("role") in ROLES and isinstance(item.get("content"), str)
            if not ok:
                raise PromptFileError(f"{where}: message {n} of column {column!r} is not "
                                      f'{{"role": {"|".join(ROLES)}, "content": "..."}}: {str(item)[:80]}')
            out.append(Message(role=item["role"], content=item["content"]))
        if out[-1]["role"] != "user":
            raise PromptFileError(f"{where}: the conversation in column {column!r} must end with a user turn")
        return tuple(out)
    got = "missing" if value is None else f"{type(value).__name__} {str(value)[:40]!r}"
    raise PromptFileError(f"{where}: column {column!r} must be a string or a list of messages ({got})")


def _category(value: Any, where: str, column: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise PromptFileError(f"{where}: column {column!r} must be a category id string, got {type(value).__name__}")
    return value.strip()


def _jsonl(path: Path, text: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PromptFileError(f"{path}:{number}:{exc.colno}: invalid JSON ({exc.msg}); each line must be one "
                                  'JSON object such as {"prompt": "..."}') from exc
        if not isinstance(data, dict):
            raise PromptFileError(f"{path}:{number}: expected a JSON object, got {type(data).__name__}")
        yield f"{path}:{number}", data


def _csv(path: Path, text: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        for row in reader:
            yield f"{path}:{reader.line_num}", row
    except csv.Error as exc:
        raise PromptFileError(f"{path}:{reader.line_num}: bad CSV ({exc})") from exc


def _text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PromptFileError(f"{path}: not UTF-8 text (byte {exc.start}); re-save it as UTF-8") from exc
    except OSError as exc:
        raise PromptFileError(f"{path}: cannot read ({exc.strerror}); check permissions") from exc


def _parquet(path: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise PromptFileError(f"{path}: not a readable parquet file ({exc})") from exc
    for number, row in enumerate(table.to_pylist(), start=1):
        yield f"{path}:{number}", row


def _saved_dataset(path: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    import datasets

    try:
        loaded = datasets.load_from_disk(str(path))
    except (OSError, ValueError, FileNotFoundError) as exc:
        raise PromptFileError(f"{path}: not a dataset saved with `save_to_disk` ({exc})") from exc
    if isinstance(loaded, datasets.DatasetDict):
        if "train" not in loaded:
            raise PromptFileError(f"{path}: a DatasetDict without a 'train' split (splits: {', '.join(loaded)}); "
                                  f"save the split to use on its own, or name it 'train'")
        loaded = loaded["train"]
    for number, row in enumerate(loaded, start=1):
        yield f"{path}:{number}", cast(Mapping[str, Any], row)


def _rows(path: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if not path.exists():
        raise PromptFileError(f"{path}: no such file or folder; check the --prompts path")
    if path.is_dir():
        return _saved_dataset(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _parquet(path)
    return _csv(path, _text(path)) if suffix == ".csv" else _jsonl(path, _text(path))


def _columns(path: Path, row: Mapping[str, Any], prompt_column: str, category_column: str | None) -> None:
    missing = [c for c in (prompt_column, category_column) if c is not None and c not in row]
    if missing:
        raise PromptFileError(f"{path}: no column {', '.join(map(repr, missing))} (columns: "
                              f"{', '.join(map(str, row)) or 'none'}); pass --prompt-column / --category-column")


def read_prompts(path: str | Path, *, prompt_column: str = DEFAULT_PROMPT_COLUMN,
                 category_column: str | None = None, limit: int | None = None) -> list[PromptRow]:
    """The prompts of a `.jsonl`, `.csv` or `.parquet` file, or of a dataset folder (`save_to_disk`).

    `category_column=None` reads a `category` column when there is one (XSTest has none); a named
    column must exist. `limit` keeps the first rows. Raises `PromptFileError`.
    """
    where = Path(path)
    rows: list[PromptRow] = []
    column = category_column
    for source, data in _rows(where):
        if limit is not None and len(rows) >= limit:
            break
        if not rows:
            _columns(where, data, prompt_column, category_column)
            column = category_column or (DEFAULT_CATEGORY_COLUMN if DEFAULT_CATEGORY_COLUMN in data else None)
        category = _category(data.get(column), source, column) if column is not None else None
        rows.append(PromptRow(prompt=_messages(data.get(prompt_column), source, prompt_column),
                              category=category, source=source))
    if not rows and limit != 0:
        raise PromptFileError(f"{where}: no prompts in it; write one JSON object per line with a "
                              f"{prompt_column!r} field")
    return rows
