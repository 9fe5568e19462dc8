"""The work log: an append-only JSONL file of pydantic records that survives being killed at any moment.

Each `append` writes whole lines, flushes and fsyncs before returning, so a record is either durable or
absent. A kill mid-write leaves at most one torn last line: `load` ignores it and cuts the file back to
the last complete line, so later appends start on a fresh line. On reload the last record of a key wins.
`compact` rewrites the log with one record per key (`spec_lang.atomic.write_atomic`); `remove_stale`
deletes the temporary copies a run killed while compacting left beside it.

`WorkDirLock` keeps two runs from writing one output folder at once (an advisory `flock`, released by
the operating system when a process dies, so a killed run never leaves a stale lock).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from spec_lang.atomic import write_atomic
from spec_lang.errors import DelibError

M = TypeVar("M", bound=BaseModel)


class WorkLogError(DelibError):
    """The work folder cannot be used (locked by another run, or unwritable); the message says what to do."""


class WorkLog(Generic[M]):
    """Records of type `model` in the JSONL file `path`, keyed by `key(record)`."""

    def __init__(self, path: Path, model: type[M], key: Callable[[M], str]) -> None:
        self.path = path
        self.model = model
        self.key = key
        self.skipped = 0
        """Lines that could not be read on the last `load` (a torn last line included)."""

    def load(self, *, repair: bool = True) -> dict[str, M]:
        """Every record, the last one of each key winning. With `repair`, a torn tail is cut off the file."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise WorkLogError(f"{self.path}: cannot read the work log ({exc.strerror}); check permissions") from exc
        complete = data.rfind(b"\n") + 1
        self.skipped = 1 if complete < len(data) else 0
        if repair and complete < len(data):
            with self.path.open("r+b") as handle:
                handle.truncate(complete)
        found: dict[str, M] = {}
        for line in data[:complete].splitlines():
            if not line.strip():
                continue
            try:
                record = self.model.model_validate_json(line)
            except ValidationError:
                self.skipped += 1  # written by another version, or damaged: redo that unit
                continue
            found[self.key(record)] = record
        return found

    def append(self, records: Iterable[M]) -> None:
        """Append records durably (write, flush, fsync)."""
        lines = "".join(record.model_dump_json() + "\n" for record in records)
        if not lines:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as handle:
                handle.write(lines.encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise WorkLogError(f"{self.path}: cannot append to the work log ({exc.strerror}); "
                               "check the disk has space and the folder is writable") from exc

    def compact(self, records: Iterable[M]) -> None:
        """Replace the log with exactly `records`, atomically."""
        write_atomic(self.path, "".join(r.model_dump_json() + "\n" for r in records))

    def remove_stale(self) -> int:
        """Delete the temporary copies (`.NAME.*.tmp`) a killed `compact` left; how many. Call under the lock."""
        stale = list(self.path.parent.glob(f".{glob.escape(self.path.name)}.*.tmp"))
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)


class WorkDirLock:
    """An exclusive, non-blocking lock on a work folder, for the duration of a `with` block."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "lock"
        self._fd: int | None = None

    def __enter__(self) -> WorkDirLock:
        import fcntl

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise WorkLogError(f"{self.path.parent}: cannot create the work folder ({exc.strerror}); "
                               "choose a writable output folder") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise WorkLogError(f"{self.path.parent.parent}: another `delib generate` is writing this folder; "
                               "wait for it to finish or choose another output folder") from None
        self._fd = fd
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None
