"""The cache of models trained on a spec: one folder per key, written whole or not at all.

Fine-tuned embedders (`_finetune`) and rerankers (`_reranker`) are both stored here, each under a key that
names everything the model was trained from (base model, settings, training data). A folder is trained into
a temporary sibling and renamed into place once its metadata file, written last, is there; a folder without
that file (an interrupted run) is trained again.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spec_lang.errors import OutputError


@dataclass(frozen=True)
class CachedModel:
    """A model folder in the cache: found there, or trained (and in how long)."""

    folder: Path
    trained: bool
    seconds: float


def cached_model(cache_dir: Path, key: str, meta_file: str, train: Callable[[Path], dict[str, Any]],
                 notify: Callable[[], None] | None = None) -> CachedModel:
    """`cache_dir/key` when it holds `meta_file`; else `train(folder)` fills a fresh folder and returns the
    metadata to record (the training time is added as `seconds`), `notify()` being called first. Raises
    `OutputError` when the cache cannot be written (checked before training)."""
    folder = cache_dir / key
    if (folder / meta_file).is_file():
        return CachedModel(folder, trained=False, seconds=0.0)
    try:  # before any training, so that an unwritable cache costs no minutes
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=cache_dir))
    except OSError as exc:
        raise OutputError.of(cache_dir, exc) from exc
    if notify is not None:
        notify()
    try:
        tmp.chmod(0o755)
        start = time.perf_counter()
        meta = train(tmp)
        seconds = time.perf_counter() - start
        meta["seconds"] = round(seconds, 1)
        try:
            (tmp / meta_file).write_text(json.dumps(meta, indent=1), encoding="utf-8")
            if folder.exists():  # an incomplete folder from an interrupted run
                shutil.rmtree(folder)
            os.replace(tmp, folder)
        except OSError as exc:
            raise OutputError.of(folder, exc) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return CachedModel(folder, trained=True, seconds=seconds)
