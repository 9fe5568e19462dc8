"""Atomic file writes: the one way every command writes an output file.

`write_atomic(path, data)` writes a new temporary file beside `path` (created exclusively, so an
existing file or link of that name is never followed), flushes and fsyncs it, then `os.replace`s it
onto `path`. A reader sees the old file or the new one, never half of one; a kill leaves the old file.
When `path` is a symbolic link, the link itself is replaced by the new file: its target is left alone.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from pathlib import Path

from spec_lang.errors import OutputError


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write `data` (text as UTF-8) to `path` atomically; the folder is created. Raises `OutputError`."""
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise OutputError.of(path, exc) from exc


@functools.cache
def _umask() -> int:
    """The process's umask, read once (mkstemp creates files 0600; outputs get the usual 0666 & ~umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
