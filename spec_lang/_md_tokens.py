"""Reading markdown-it-py tokens, for the parser: top-level blocks, list items, and the cross-references and
footnote refs a block holds. Pure functions of the tokens and the source lines."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable

from markdown_it.token import Token

from spec_lang.model import CrossRef, FootnoteRef, Span

_FOOTNOTE = re.compile(r"\[\^([^\]\s]+)\]")
_FOOTNOTE_DEFINITION = re.compile(r" {0,3}\[\^[^\]\s]+\]:")
"""`[^key]: text` at the start of a line defines a footnote; `[^key]` anywhere else (even before a `:`,
as in `the following[^key]:`) refers to one."""
_LIST_MARKER = re.compile(r"^(\s*)([-*+]|\d+[.)])(\s+|$)")


def top_level_groups(tokens: list[Token]) -> list[list[Token]]:
    """Split a token stream into its top-level blocks."""
    groups: list[list[Token]] = []
    depth = 0
    for tok in tokens:
        if depth == 0:
            groups.append([])
        groups[-1].append(tok)
        depth += tok.nesting
    return groups


def list_items(group: list[Token], lines: list[str]) -> list[tuple[str, int, int]]:
    """(text without the list marker, first line index, end line index) for each top-level item of a list."""
    base = group[0].level
    out = []
    for tok in group:
        if tok.type == "list_item_open" and tok.level == base + 1 and tok.map is not None:
            start, end = tok.map
            raw = lines[start:end]
            m = _LIST_MARKER.match(raw[0])
            width = m.end() if m else 0
            first = raw[0][width:]
            rest = textwrap.dedent("\n".join(raw[1:]))
            text = (first + ("\n" + rest if rest else "")).strip()
            out.append((text, start, end))
    return out


def references(group: list[Token], lines: list[str],
               span: Callable[[int, int], Span]) -> tuple[list[CrossRef], list[FootnoteRef]]:
    """The cross-references (`[text](#id)`) and footnote refs (`[^key]`) of a block; `span(line0, col)`."""
    refs: list[CrossRef] = []
    notes: list[FootnoteRef] = []
    for tok in group:
        if tok.type != "inline" or tok.map is None:
            continue
        has_link, has_note = "](#" in tok.content, "[^" in tok.content
        if not (has_link or has_note):
            continue
        start, end = tok.map
        region = lines[start:end]
        anchors = [(i, m.start()) for i, line in enumerate(region) for m in re.finditer(r"\]\(#", line)]
        for n, (target, text) in enumerate(_links(tok)):
            i, c = anchors[n] if n < len(anchors) else (0, 0)
            refs.append(CrossRef(target=target, text=text, span=span(start + i, c + 3)))
        for i, line in enumerate(region):
            for m in _FOOTNOTE.finditer(line):
                if _FOOTNOTE_DEFINITION.match(line) and not line[: m.start()].strip():
                    continue
                notes.append(FootnoteRef(key=m.group(1), span=span(start + i, m.start() + 1)))
    return refs, notes


def _links(tok: Token) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    children = tok.children or []
    i = 0
    while i < len(children):
        child = children[i]
        href = str(child.attrs.get("href", "")) if child.type == "link_open" else ""
        if href.startswith("#"):
            text = []
            i += 1
            while i < len(children) and children[i].type != "link_close":
                # a line break inside the link text is a space (it has no content of its own)
                text.append(" " if children[i].type in ("softbreak", "hardbreak") else children[i].content)
                i += 1
            out.append((href[1:], "".join(text)))
        i += 1
    return out
