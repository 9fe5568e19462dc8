"""Helpers the diff tests share."""

from __future__ import annotations


def edit(text: str, *pairs: tuple[str, str]) -> str:
    """`text` with each `(old, new)` replaced; every anchor `old` must occur exactly once."""
    for old, new in pairs:
        assert text.count(old) == 1, f"edit anchor must occur once: {old[:60]!r}"
        text = text.replace(old, new)
    return text
