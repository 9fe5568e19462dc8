"""Prompt files: the one reader behind `delib generate`, `delib eval`, `delib eval-judge`, `delib retrieve`,
`delib eval-retrieval` and `delib train rl`.

A prompt file is JSONL (one object per line), CSV with a header row (XSTest's CSV as it is), parquet, or
a folder written by `datasets`' `save_to_disk` (a `DatasetDict` must have a `train` split). Text files
are UTF-8; a byte-order mark is fine. `.csv` is CSV, `.jsonl` / `.json` / `.ndjson` JSONL; any other
name is JSONL when it starts with `{`, else CSV. One row per prompt:

    {"id": "x1", "prompt": "How do I kill a Python process?", "label": "safe"}
    {"messages": [{"role": "user", "content": "..."}], "category": "violence", "expected": "safe_complete"}

- `prompt` or `messages` (either name): the user's text, or a list of `{"role", "content"}` turns that
  ends with a user turn or a tool result (in CSV, turns are written as JSON text in a `messages` column);
- `id`: optional; unique in the file (a row without one is keyed by its line);
- `category`: optional (rows without one are routed by retrieval); the column can be renamed;
- `label`: optional, `safe` or `unsafe`;
- `expected`: optional, `comply`, `refuse`, `safe_complete`, several joined by `|` or as a JSON list.
  When absent it follows from the label: safe -> comply, unsafe -> refuse or safe_complete;
- every other column is kept as `meta` text (XSTest's `type`, `focus`, `note`).

Every bad row is collected and reported as `path:line: reason` (the first few, then a count) in one
`PromptFileError`; nothing is half-read. Pure parsing of one row is `parse_prompt`; `read_rows` reads a
file through `compiler.record_files` (the one place row files are opened: the formats, UTF-8, size) and lets
callers parse other row shapes (labelled responses) the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict
from typing_extensions import TypedDict  # pydantic cannot validate typing.TypedDict on Python < 3.12

from compiler.record_files import PromptFileError as PromptFileError
from compiler.record_files import RowError as RowError
from compiler.record_files import json_value, read_records
from spec_lang.model import RESPONSES, ROLES, Response, Role

T = TypeVar("T")
PromptLabel = Literal["safe", "unsafe"]
PROMPT_COLUMN = "prompt"
MESSAGES_COLUMN = "messages"
CATEGORY_COLUMN = "category"
MAX_SHOWN = 5
"""Bad rows listed in an error; the rest are counted."""
FORMAT_HINT = ('each row needs `prompt` (text) or `messages` (a list of {"role", "content"} turns ending with a '
               "user turn or a tool result); optional `id`, `category`, `label` (safe/unsafe), `expected` "
               "(comply/refuse/safe_complete, several joined by |)")


class Turn(TypedDict):
    """One chat turn: the one message type (`trainer.backends.ChatMessage` and `trainer.judging.Message` are
    this class). A `typing_extensions.TypedDict`, which pydantic can validate on Python < 3.12."""

    role: Role
    content: str


class FilePrompt(BaseModel):
    """One row of a prompt file."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    id: str | None
    """The row's `id`, or None when the file gives none."""
    messages: tuple[Turn, ...]
    """The conversation to answer; ends with a user turn (or a tool result)."""
    category: str | None
    """The category the file gives, or None (routed by retrieval)."""
    label: PromptLabel | None
    """Whether a well-calibrated model should answer (`safe`) or decline (`unsafe`); None if unlabelled."""
    expected: tuple[Response, ...]
    """The responses that count as right: the file's `expected`, else derived from `label`; () if unknown."""
    meta: dict[str, str]
    """The file's other columns, as text."""
    source: str
    """`FILE:LINE`."""
    line: int
    """1-based line (JSONL), line of the row's end (CSV, header = 1) or row number (parquet, datasets)."""

    @property
    def key(self) -> str:
        """`id`, or the line number when the row has no id; unique in the file."""
        return self.id if self.id is not None else str(self.line)

    @property
    def text(self) -> str:
        """The last user turn (what retrieval routes on)."""
        return last_user_text(self.messages)


def last_user_text(messages: Sequence[Turn]) -> str:
    """The content of the last user turn (the last turn's content when there is no user turn)."""
    return next((m["content"] for m in reversed(messages) if m["role"] == "user"), messages[-1]["content"])


def expected_responses(label: PromptLabel | None, expected: tuple[Response, ...] = ()) -> tuple[Response, ...]:
    """The responses that count as right: `expected` when given, else from the safe/unsafe label."""
    if expected:
        return expected
    if label == "safe":
        return ("comply",)
    if label == "unsafe":
        return ("refuse", "safe_complete")
    return ()


# ------------------------------------------------------------------------------------------------ fields


def _shown(value: Any) -> str:
    return f"{type(value).__name__} {str(value)[:40]!r}"


def parse_messages(value: Any, column: str) -> tuple[Turn, ...]:
    """Text (one user turn) or a non-empty list of `{role, content}` turns ending with a user (or tool) turn.

    A string starting with `[` in a `messages` column is read as JSON turns (how CSV holds them)."""
    if isinstance(value, str) and column == MESSAGES_COLUMN and value.lstrip().startswith("["):
        try:
            value = json_value(value)
        except RowError as exc:
            raise RowError(f"`{column}` is not a JSON list of turns ({exc})") from None
    if isinstance(value, str):
        if not value.strip():
            raise RowError(f"`{column}` is empty")
        return (Turn(role="user", content=value),)
    if not isinstance(value, list) or not value:
        raise RowError(f"`{column}` must be text or a non-empty list of {{role, content}} turns, got {_shown(value)}")
    turns: list[Turn] = []
    for i, turn in enumerate(value):
        if not (isinstance(turn, Mapping) and turn.get("role") in ROLES and isinstance(turn.get("content"), str)):
            raise RowError(f'`{column}[{i}]` must be {{"role": one of {"/".join(ROLES)}, "content": text}}, '
                           f"got {str(turn)[:80]}")
        turns.append(Turn(role=turn["role"], content=turn["content"]))
    if turns[-1]["role"] not in ("user", "tool"):
        raise RowError(f"the conversation in `{column}` must end with a user turn or a tool result (it ends "
                       f"with {turns[-1]['role']!r})")
    return tuple(turns)


RESPONSE_SYNONYMS: dict[str, Response] = {
    "compliance": "comply", "full_compliance": "comply", "1_full_compliance": "comply",
    "refusal": "refuse", "full_refusal": "refuse", "2_full_refusal": "refuse",
    "safe_completion": "safe_complete", "partial_refusal": "safe_complete", "3_partial_refusal": "safe_complete",
}
"""Labels of public refusal benchmarks read as responses (XSTest's `1_full_compliance`, `2_full_refusal`,
`3_partial_refusal`: a partial refusal declines part of the request and helps with the rest)."""


def parse_response(value: Any, column: str) -> Response:
    """`comply`, `refuse` or `safe_complete` (any case; `-` or a space for `_`), or a `RESPONSE_SYNONYMS` label."""
    norm = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    norm = RESPONSE_SYNONYMS.get(norm, norm)
    if norm not in RESPONSES:
        raise RowError(f"`{column}` is {value!r}; use one of {', '.join(RESPONSES)} (or compliance, refusal, "
                       "partial_refusal)")
    return cast(Response, norm)


def parse_expected(value: Any) -> tuple[Response, ...]:
    """Responses joined by `|`, or a list (a JSON list in a CSV cell too); () when empty."""
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            value = json_value(value)
        except RowError:
            raise RowError(f"`expected` is {value[:40]!r}, not a JSON list; or join responses with |") from None
    if value is None or value == "":
        return ()
    parts = value if isinstance(value, list) else str(value).split("|")
    return tuple(dict.fromkeys(parse_response(p, "expected") for p in parts if str(p).strip()))


def parse_label(value: Any) -> PromptLabel | None:
    """`safe`, `unsafe` (any case) or None when empty."""
    text = "" if value is None else str(value).strip().lower()
    if not text:
        return None
    if text not in ("safe", "unsafe"):
        raise RowError(f"`label` is {value!r}; use `safe` or `unsafe` (or leave it empty)")
    return cast(PromptLabel, text)


def optional_text(value: Any) -> str | None:
    """The value as stripped text; None when absent or blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def meta_columns(record: Mapping[str, Any], known: Collection[str]) -> dict[str, str]:
    """Every column not in `known`, as text (JSON for values that are not strings)."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in record.items()
            if k not in known and v is not None}


def _category(value: Any, column: str, required: bool) -> str | None:
    if value is not None and not isinstance(value, str):
        raise RowError(f"`{column}` must be a category id (text), got {_shown(value)}")
    category = optional_text(value)
    if category is None and required:
        raise RowError(f"no `{column}`; every row needs one (retrieve categories with `delib retrieve`)")
    return category


def parse_prompt(record: Mapping[str, Any], line: int, source: str, *, prompt_column: str = PROMPT_COLUMN,
                 category_column: str = CATEGORY_COLUMN, require_category: bool = False) -> FilePrompt:
    """One row of a prompt file (see the module docstring). Raises `RowError`."""
    names = prompt_columns(prompt_column)
    given = [c for c in names if optional_text(record.get(c)) is not None or isinstance(record.get(c), list)]
    if not given:
        empty = next((c for c in names if c in record), None)
        raise RowError(f"`{empty}` is empty" if empty else "no " + " (or ".join(f"`{n}`" for n in names)
                       + ")" * (len(names) - 1))
    if len(given) > 1:
        raise RowError(f"both `{given[0]}` and `{given[1]}` are given; keep one")
    label = parse_label(record.get("label"))
    known = {"id", "label", "expected", category_column, *prompt_columns(prompt_column)}
    return FilePrompt(id=optional_text(record.get("id")), messages=parse_messages(record[given[0]], given[0]),
                      category=_category(record.get(category_column), category_column, require_category),
                      label=label, expected=expected_responses(label, parse_expected(record.get("expected"))),
                      meta=meta_columns(record, known), source=source, line=line)


def prompt_columns(prompt_column: str) -> tuple[str, ...]:
    """The columns a prompt is looked for in: `prompt` and `messages` alike, or the one column named."""
    return (PROMPT_COLUMN, MESSAGES_COLUMN) if prompt_column == PROMPT_COLUMN else (prompt_column,)


# ------------------------------------------------------------------------------------------------ files

def _problems(path: Path, problems: list[str], hint: str) -> PromptFileError:
    more = f"\n  ... and {len(problems) - MAX_SHOWN} more" if len(problems) > MAX_SHOWN else ""
    return PromptFileError(f"{len(problems)} unreadable row(s) in {path}:\n  " + "\n  ".join(problems[:MAX_SHOWN])
                           + more, hint)


def read_rows(path: str | Path, parse: Callable[[Mapping[str, Any], int, str], T], key: Callable[[T], str], *,
              hint: str = FORMAT_HINT, what: str = "prompts", limit: int | None = None,
              columns: Sequence[Sequence[str]] = ()) -> tuple[T, ...]:
    """Every row of a file parsed by `parse(record, line, "FILE:LINE")` (which raises `RowError`), keys unique.

    Each group in `columns` must have a column in the file. Every bad row is reported in one
    `PromptFileError` (`path:line: reason`); an empty file is an error unless `limit` is 0."""
    path = Path(path)
    records, found = read_records(path, limit)
    for group in columns:
        if found and not any(c in found for c in group):
            raise PromptFileError(f"{path}: no column {' or '.join(map(repr, group))} (columns: "
                                  f"{', '.join(found) or 'none'})", "rename the column, or name the one to read "
                                  "(`delib generate --prompt-column/--category-column`, "
                                  "`delib eval --category-column`)")
    rows: list[T] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, record in records:
        try:
            if isinstance(record, str):
                raise RowError(record)
            try:
                row = parse(record, line, f"{path}:{line}")
            except RecursionError:  # values nested just under the JSON reader's limit
                raise RowError("values nested too deeply") from None
            if key(row) in seen:
                raise RowError(f"id {key(row)!r} is used again (first on line {seen[key(row)]}); give every row "
                               "a unique `id`, or leave ids out to number rows by line")
        except RowError as exc:
            problems.append(f"{path}:{line}: {exc}")
            continue
        seen[key(row)] = line
        rows.append(row)
    if problems:
        raise _problems(path, problems, hint)
    if not rows and limit != 0:
        raise PromptFileError(f"{path}: no {what} in the file", "write one JSON object per line, or a CSV with a "
                              "header row")
    return tuple(rows)


def read_prompt_file(path: str | Path, *, prompt_column: str = PROMPT_COLUMN, category_column: str = CATEGORY_COLUMN,
                     require_category: bool = False, limit: int | None = None) -> tuple[FilePrompt, ...]:
    """Every prompt of a prompt file (see the module docstring); `limit` keeps the first rows.

    `prompt_column` other than `prompt` (which also reads `messages`) and `category_column` other than
    `category` must exist. `require_category`: every row must name one (whether the bundle has it is the
    caller's check, `trainer.routing.unknown_categories`). Raises `PromptFileError` listing every bad row."""
    groups = [prompt_columns(prompt_column)] + ([[category_column]] if category_column != CATEGORY_COLUMN else [])

    def parse(record: Mapping[str, Any], line: int, source: str) -> FilePrompt:
        return parse_prompt(record, line, source, prompt_column=prompt_column, category_column=category_column,
                            require_category=require_category)

    return read_rows(path, parse, lambda p: p.key, limit=limit, columns=groups)

