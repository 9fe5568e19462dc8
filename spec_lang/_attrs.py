"""Attribute blocks `{#id key=value ...}` at the end of headings and `{#id}` at the start of rules."""

from __future__ import annotations

import re
from dataclasses import dataclass

from spec_lang.ids import id_problem
from spec_lang.lint import KNOWN_ATTRS

_TRAILING_BLOCK = re.compile(r"\s*\{(#[^{}]*|[A-Za-z_][^{}]*=[^{}]*)\}\s*$")
_LEADING_ID = re.compile(r"^\{#([^\s{}]+)\}\s*")
_LEADING_BLOCK = re.compile(r"^\{([^{}\n]{0,120})\}\s*")
_TRAILING_BRACES = re.compile(r"\s*\{([^{}]*)\}\s*$")
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
        word = tokens.split()[0] if tokens.split() else ""
        if not ident and word and "=" not in word and id_problem(word) is None:
            return AttrBlock(None, {}, f"'#' is followed by a space; the id comes right after it "
                                       f"(did you mean '{{#{word}}}'?)")
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
            return AttrBlock(ident, attrs, _unreadable(ident, attrs, rest[pos:]))
        attrs[m.group(1)] = m.group(3) if m.group(3) is not None else m.group(2)
        pos = m.end()
    return AttrBlock(ident, attrs)


def _joined(words: list[str], sep: str) -> str | None:
    """`words` joined into one id with `sep`, or None when that is no valid id."""
    joined = sep.join(words)
    return joined if joined and id_problem(joined) is None else None


def _unreadable(ident: str | None, attrs: dict[str, str], rest: str) -> str:
    """Why `rest` cannot be read; a bare word right after the id reads as an id with a space in it."""
    word = rest.split()[0]
    if word in KNOWN_ATTRS:
        return f"cannot read attribute at {rest!r} (expected key=value: {word}=VALUE)"
    if ident and not attrs and "=" not in word and (joined := _joined([ident, word], "_")) is not None:
        return (f"{rest!r} after the id {ident!r} is not key=value; an id has no spaces "
                f"(did you mean '{{#{joined}}}'?)")
    return f"cannot read attribute at {rest!r} (expected key=value)"


def unmarked_heading_id(title: str) -> tuple[str, str] | None:
    """(title, suggested block) for a heading ending in an id-like `{word}` without `#` (`Title {account}`),
    which is not an attribute block; None otherwise."""
    m = _TRAILING_BRACES.search(title)
    if not m or id_problem(m.group(1).strip()) is not None:
        return None
    return title[: m.start()].strip(), f"{{#{m.group(1).strip()}}}"


def malformed_rule_id(text: str) -> tuple[str, str, str | None] | None:
    """(block, rule text, suggested block) when a rule starts with a `{...}` that is not a valid `{#id}`
    (`{#weapons r1}`, `{weapons.r1}`, `{# weapons.r1}`); None when it starts with no block at all."""
    m = _LEADING_BLOCK.match(text)
    if not m or _LEADING_ID.match(text):
        return None
    words = m.group(1).replace("#", " ").split()
    joined = _joined(words, ".")
    return m.group(0).strip(), text[m.end():], None if joined is None else f"{{#{joined}}}"


def split_rule(text: str) -> tuple[str | None, str]:
    """Split `{#id} rule text` into the id (None when absent) and the text."""
    m = _LEADING_ID.match(text)
    if not m:
        return None, text
    return m.group(1), text[m.end() :]
