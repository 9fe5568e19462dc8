"""Inline text as the model sees it: cross-references resolved, footnote markers dropped, output tidied.

Only titles of sections that a category's hash covers may be used to resolve `[?](#id)` links;
anything else is shown as its id, so a compiled file changes exactly when `category_hashes` says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_SELF_TITLED = re.compile(r"\[\?\]\(#([^)\s]+)\)")
_FOOTNOTE = re.compile(r"\[\^[^\]\s]+\](?!:)")
_FENCE = re.compile(r"^\s*(```|~~~)")


class TextCleaner:
    """Rewrites spec Markdown for a prompt: `[?](#id)` -> `[Title](#id)` (or `` `id` `` when the title is
    not among the known ones, e.g. for rule ids); footnote markers `[^key]` are removed (their example
    files are not part of the prompt)."""

    def __init__(self, titles: Mapping[str, str]) -> None:
        self.titles = dict(titles)

    def _link(self, match: re.Match[str]) -> str:
        target = match.group(1)
        title = self.titles.get(target)
        return f"[{title}](#{target})" if title else f"`{target}`"

    def __call__(self, text: str) -> str:
        text = _FOOTNOTE.sub("", text)
        return _SELF_TITLED.sub(self._link, text).strip()


def tidy(text: str) -> str:
    """Deterministic whitespace: no trailing spaces, at most one blank line in a row outside code
    fences, no leading blank lines, exactly one final newline."""
    out: list[str] = []
    in_fence = False
    for raw in text.split("\n"):
        line = raw.rstrip()
        if _FENCE.match(line):
            in_fence = not in_fence
        if not line and not in_fence and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"
