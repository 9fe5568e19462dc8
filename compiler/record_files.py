"""Files of records: JSONL, CSV, parquet and `datasets` folders, the one place the project opens a row file.

`read_records` gives every row of any of those formats as `(line, columns)`, or `(line, why it cannot be
read)`; `numbered_jsonl` / `read_jsonl` read JSONL on their own (generation outputs, training data). Text
files are UTF-8 (a byte-order mark is fine), at most `MAX_BYTES`. File-level problems raise
`PromptFileError`; a row's problem is a `RowError`'s reason. What a row *means* is `compiler.prompt_files`.
pyarrow and `datasets` are imported only to read parquet files and dataset folders.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, cast

from spec_lang.errors import DelibError

MAX_BYTES = 512 * 1024 * 1024
_JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
"""A JSON escape of a UTF-16 surrogate (half of a pair, or a lone one)."""
_EXTRA = "\0extra"
"""Where `csv.DictReader` puts the fields of a row longer than the header."""


class PromptFileError(DelibError):
    """A prompt file cannot be read: the message names the file (and the lines), `hint` what to do.

    `compiler.retrieval.QueryFileError` and `trainer.generation.PromptFileError` are this class;
    `trainer.evaluation.InputFileError` subclasses it (and `EvalError`)."""


class RowError(ValueError):
    """One row cannot be read; the message is the reason (the reader adds `path:line`)."""


def json_value(text: str) -> Any:
    """`json.loads(text)`; raises `RowError` saying why not: bad syntax (with the column), values nested
    too deeply, or an integer longer than Python converts (`sys.get_int_max_str_digits()`)."""
    try:
        value = json.loads(text)
        if _SURROGATE.search(text):  # `\ud800` alone decodes to a str that is not text: no UTF-8 can hold it
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        return value
    except json.JSONDecodeError as exc:
        raise RowError(f"{exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise RowError("values nested too deeply") from None
    except UnicodeEncodeError:
        raise RowError("a string holds a lone surrogate (a `\\ud800`-`\\udfff` escape without its pair), "
                       "which is not text") from None
    except ValueError:
        raise RowError(f"a number longer than {sys.get_int_max_str_digits()} digits") from None


Record = Mapping[str, Any] | str
"""A row's columns, or the reason it cannot be read."""


def _text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise PromptFileError(f"{path}: larger than {MAX_BYTES // 2**20} MiB", "split the file")
        data = path.read_bytes()
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise PromptFileError(f"{path}:{line}: cannot read the file: not UTF-8 text (byte {exc.start})",
                              "re-save it as UTF-8") from None
    except OSError as exc:
        raise PromptFileError(f"{path}: cannot read the file ({exc.strerror})", "check its permissions") from None


def _is_csv(path: Path, text: str) -> bool:
    suffix = path.suffix.lower()
    if suffix in (".csv", *_JSONL_SUFFIXES):
        return suffix == ".csv"
    return not text.lstrip().startswith("{")


def _csv(text: str) -> Iterator[tuple[int, Record]]:
    reader = csv.DictReader(io.StringIO(text), restkey=_EXTRA, strict=True)  # an unclosed quote is an error
    try:
        for row in reader:
            if _EXTRA in row:
                yield reader.line_num, (f"more fields than the header's {len(reader.fieldnames or [])}; "
                                        "quote fields that hold commas")
            else:
                yield reader.line_num, row
    except csv.Error as exc:  # in the row after the last one read
        yield reader.line_num + 1, f"bad CSV ({exc})"


def _jsonl(text: str) -> Iterator[tuple[int, Record]]:
    # Lines end at \n (\r\n too) only: JSON text may hold U+2028 and the other breaks `str.splitlines` knows.
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            value = json_value(raw)
        except RowError as exc:
            yield number, f'not JSON ({exc}); write one object such as {{"prompt": "..."}}'
            continue
        yield number, value if isinstance(value, dict) else f"not a JSON object (a {type(value).__name__})"


def _parquet(path: Path) -> Iterator[tuple[int, Record]]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise PromptFileError(f"{path}: reading parquet needs pyarrow", "pip install pyarrow") from None
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise PromptFileError(f"{path}: not a readable parquet file ({exc})", "check the file") from None
    yield from enumerate(table.to_pylist(), start=1)


def _saved_dataset(path: Path) -> Iterator[tuple[int, Record]]:
    if not any((path / name).is_file() for name in ("state.json", "dataset_dict.json")):
        raise PromptFileError(f"{path}: is a folder but not a dataset saved with `save_to_disk` (no state.json or "
                              "dataset_dict.json)", "name a .jsonl, .csv or .parquet file, or a saved dataset")
    import datasets

    try:
        loaded = datasets.load_from_disk(str(path))
    except (OSError, ValueError) as exc:
        raise PromptFileError(f"{path}: not a dataset saved with `save_to_disk` ({exc})", "re-save it") from None
    if isinstance(loaded, datasets.DatasetDict):
        if "train" not in loaded:
            raise PromptFileError(f"{path}: a DatasetDict without a 'train' split (splits: {', '.join(loaded)})",
                                  "save the split to use on its own, or name it 'train'")
        loaded = loaded["train"]
    for number, row in enumerate(loaded, start=1):
        yield number, cast(Mapping[str, Any], row)


def read_records(path: str | Path, limit: int | None = None) -> tuple[list[tuple[int, Record]], list[str]]:
    """`((line, record) for the first `limit` rows, the file's columns)`; file-level problems (missing,
    not UTF-8, not a dataset) raise `PromptFileError`."""
    path = Path(path)
    if not path.exists():
        raise PromptFileError(f"{path}: no such file or folder", "check the path")
    if path.is_dir():
        rows = _saved_dataset(path)
    elif path.suffix.lower() == ".parquet":
        rows = _parquet(path)
    else:
        text = _text(path)
        rows = _csv(text) if _is_csv(path, text) else _jsonl(text)
    records: list[tuple[int, Record]] = []
    columns: dict[str, None] = {}
    for line, record in rows:
        if limit is not None and len(records) >= limit:
            break
        records.append((line, record))
        if not isinstance(record, str):
            columns.update(dict.fromkeys(record))
    return records, list(columns)


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """The objects of a JSONL file (`numbered_jsonl` without the line numbers)."""
    return [row for _, row in numbered_jsonl(path)]


def numbered_jsonl(path: str | Path) -> list[tuple[int, dict[str, Any]]]:
    """`(line, object)` of every row of a JSONL file (UTF-8, a byte-order mark is fine, lines end at `\n`,
    blank lines skipped); `PromptFileError` names the file, or the first bad line. The one JSONL reader:
    prompt files, generation outputs and training data all read through it."""
    path = Path(path)
    if not path.is_file():
        raise PromptFileError(f"{path}: no such file", "check the path")
    rows: list[tuple[int, dict[str, Any]]] = []
    for line, record in _jsonl(_text(path)):
        if isinstance(record, str):
            raise PromptFileError(f"{path}:{line}: {record.partition(';')[0]}", "write one JSON object per line")
        rows.append((line, dict(record)))
    return rows
