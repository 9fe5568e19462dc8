"""Where the tool keeps what it derives (converted models, tokenizers, retrieval indexes, logs): one place.

`$DELIB_CACHE` when set, else `$XDG_CACHE_HOME/deliberative`, else `~/.cache/deliberative`. Read when
called, never at import, from the environment passed in (the process's by default), so tests and
callers can point it elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

CACHE_ENV = "DELIB_CACHE"


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """The cache root (see the module docstring)."""
    env = os.environ if env is None else env
    if env.get(CACHE_ENV):
        return Path(env[CACHE_ENV]).expanduser()
    user = Path(env["XDG_CACHE_HOME"]).expanduser() if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return user / "deliberative"
