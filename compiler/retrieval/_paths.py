"""Where an index lives by default: `$DELIB_CACHE/index/<name>`, else the user cache
(`$XDG_CACHE_HOME` or `~/.cache`)`/deliberative/index/<name>`: never beside the spec, whose folder may be
a shared, read-only checkout. Two specs that share a name share a folder; the index records the spec
revision and is rebuilt (re-embedding only changed units) when it does not match."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from spec_lang.cache import cache_dir
from spec_lang.model import Spec

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def index_name(spec: Spec) -> str:
    """A folder name for the spec's index: its id, with the file stem when that differs (the Model Spec
    releases share one id)."""
    stem = Path(spec.path.rpartition("@")[0] or spec.path).stem if spec.path != "<string>" else ""
    name = spec.meta.id if not stem or stem == spec.meta.id else f"{stem}-{spec.meta.id}"
    return _SAFE.sub("_", name) or "spec"


def default_index_dir(spec: Spec, env: Mapping[str, str]) -> Path:
    """The default index folder of `spec` (`env` is the process environment, passed in by the caller)."""
    return cache_dir(env) / "index" / index_name(spec)


def default_tuned_dir(env: Mapping[str, str]) -> Path:
    """The folder of the cached fine-tuned embedders (`tuned/` beside `index/`), one subfolder per key."""
    return cache_dir(env) / "tuned"
