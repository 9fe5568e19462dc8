"""The deterministic train/eval split, and writing prompt rows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from spec_lang.atomic import write_atomic

Split = Literal["train", "eval"]
SPLITS: tuple[Split, ...] = ("train", "eval")
SALT = "delib-split/1"
"""Changing the salt reshuffles every split: never change it for a published prompt set."""


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def split_of(text: str, eval_share: float = 0.3, salt: str = SALT) -> Split:
    """`eval` for a hash-chosen `eval_share` of prompt texts, else `train` (see the package docstring)."""
    if not 0.0 <= eval_share <= 1.0:
        raise ValueError(f"eval_share must be within 0..1, got {eval_share}")
    digest = hashlib.sha256(f"{salt}\0{_normalised(text)}".encode()).digest()
    return "eval" if int.from_bytes(digest[:8], "big") / 2**64 < eval_share else "train"


def write_rows(path: str | Path, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write rows as JSONL, atomically; returns the count. Raises `OutputError` when it cannot write."""
    lines = [json.dumps(dict(r), ensure_ascii=False) + "\n" for r in rows]
    write_atomic(Path(path), "".join(lines))
    return len(lines)
