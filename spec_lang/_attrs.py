"""Attribute blocks `{#id key=value ...}` at the end of headings and `{#id}` at the start of rules."""

from __future__ import annotations

import re
from dataclasses import dataclass

from spec_lang.ids import id_problem

_TRAILING_BLOCK = re.compile(r"\s*\{(#[^{}]*|[A-Za-z_][^{}]*=[^{}]*)\}\s*$")
_LEADING_ID = re.compile(r"^\{#([^\s{}]+)\}\s*")
_PAIR = re.compile(r'([A-Za-z_][\w-]*)=("([^"]*)"|[^\s"]+)')


@dataclass(frozen=True)
class AttrBlock:
    """A parsed attribute block; `error` is set when the block is malformed."""

    id: str | None
    attrs: dict[str, str]
    error: str | None = None


def split_heading(text: str) -> tuple[str, AttrBlock | None]:
    """Split `Title {#id k=v}` into the title and its attribute block (None when there is none)."""
    m = _TRAILING_BLOCK.search(text)
    if not m:
        return text.strip(), None
    return text[: m.start()].strip(), parse_block(m.group(1))


def parse_block(inner: str) -> AttrBlock:
    """Parse the inside of `{...}`: an optional `#id` first, then `key=value` pairs."""
    tokens = inner.strip()
    ident: str | None = None
    if tokens.startswith("#"):
        head, _, tokens = tokens.partition(" ")
        ident = head[1:]
        problem = id_problem(ident)
        if problem is not None:
            return AttrBlock(ident, {}, problem)
    attrs: dict[str, str] = {}
    pos = 0
    rest = tokens.strip()
    while pos < len(rest):
        if rest[pos].isspace():
            pos += 1
            continue
        m = _PAIR.match(rest, pos)
        if not m:
            return AttrBlock(ident, attrs, f"cannot read attribute at {rest[pos:]!r} (expected key=value)")
        attrs[m.group(1)] = m.group(3) if m.group(3) is not None else m.group(2)
        pos = m.end()
    return AttrBlock(ident, attrs)


def split_rule(text: str) -> tuple[str | None, str]:
    """Split `{#id} rule text` into the id (None when absent) and the text."""
    m = _LEADING_ID.match(text)
    if not m:
        return None, text
    return m.group(1), text[m.end() :]
