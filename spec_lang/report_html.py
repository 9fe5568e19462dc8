"""A self-contained HTML report of a `SpecDiff`: one file, inline CSS, no script, no external resource.

Summary counts and the impact come first; then every change, grouped by top-level section, with text
changes shown side by side (before | after) and changed words marked `<del>` / `<ins>`. All spec text is
HTML-escaped. The specs are only read for the section outline (titles and top-level ancestors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from spec_lang._diff_model import Chunk, SpecDiff
from spec_lang._diff_render import group_reasons
from spec_lang._diff_summary import score, summary_counts
from spec_lang._diff_words import BREAK, LINE, elide
from spec_lang._html import CSS
from spec_lang.model import Spec

CONTEXT = 24
"""Unchanged words shown on each side of a change."""
DOCUMENT = "\x00document"
"""Group key of changes that belong to no section (metadata, preamble)."""


@dataclass
class _Group:
    title: str
    cards: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


def _e(value: str | None) -> str:
    return "<i>none</i>" if value is None else escape(value)


def _id(value: str | None) -> str:
    return "<i>top level</i>" if value is None else f"<code>{escape(value)}</code>"


class _Outline:
    """Top-level ancestor and title of every section id, new spec first, then old."""

    def __init__(self, old: Spec, new: Spec) -> None:
        self.top: dict[str, str] = {}
        self.titles: dict[str, str] = {}
        self.order: list[str] = []
        for spec in (new, old):
            for s in spec.sections:
                if s.id in self.top:
                    continue
                top = s.id if s.parent is None else self.top.get(s.parent, s.parent)
                self.top[s.id], self.titles[s.id] = top, s.title
                if s.parent is None:
                    self.order.append(s.id)

    def group(self, section_id: str) -> str:
        return self.top.get(section_id, section_id)


def _mark(tag: str, text: str) -> str:
    """Changed words wrapped in `tag`, the tag closed around paragraph and line breaks (valid nesting)."""
    paras = []
    for para in text.split(BREAK):
        lines = [f"<{tag}>{escape(line)}</{tag}>" if line.strip() else escape(line) for line in para.split(LINE)]
        paras.append("<br>".join(lines))
    return "</p><p>".join(paras)


def _side(pieces: list[tuple[str, str]], which: str) -> str:
    out = []
    for op, text in pieces:
        if op == "skip":
            out.append('<span class="skip">…</span>')
        elif op == "equal":
            out.append(escape(text).replace(BREAK, "</p><p>").replace(LINE, "<br>"))
        elif op == which:
            body = text.rstrip()
            out.append(_mark("del" if op == "delete" else "ins", body) + escape(text[len(body):]).replace(
                BREAK, "</p><p>").replace(LINE, "<br>"))
    if not any(op in ("equal", which) and text.strip() for op, text in pieces):
        return '<p class="empty">(no text)</p>'
    return "<p>" + "".join(out) + "</p>"


def side_by_side(chunks: tuple[Chunk, ...], context: int = CONTEXT) -> str:
    """Two columns, before and after, with the changed words marked."""
    pieces = elide(chunks, context)
    return ('<div class="sbs"><div class="col old"><div class="colhead">Before</div>'
            f'{_side(pieces, "delete")}</div><div class="col new"><div class="colhead">After</div>'
            f'{_side(pieces, "insert")}</div></div>')


def _card(kind: str, css: str, title: str, detail: str = "") -> str:
    detail_html = f'<span class="detail">{detail}</span>' if detail else ""
    return f'<li class="change"><span class="badge {css}">{escape(kind)}</span> {title} {detail_html}</li>'


def _text_block(kind: str, title: str, detail: str, chunks: tuple[Chunk, ...]) -> str:
    return (f'<div class="text-change"><div class="text-head"><span class="badge changed">{escape(kind)}</span> '
            f'{title} <span class="detail">{detail}</span></div>{side_by_side(chunks)}</div>')


def _section_cards(diff: SpecDiff, add: _Adder) -> None:
    s = diff.sections
    for a in s.added:
        add(a.id, _card("added", "added", _id(a.id), f"“{_e(a.title)}” in {_id(a.parent)}"))
    for r in s.removed:
        add(r.id, _card("removed", "removed", _id(r.id), f"“{_e(r.title)}”"))
    for n in s.renamed:
        titles = f" · “{_e(n.old_title)}” → “{_e(n.new_title)}”" if n.old_title != n.new_title else ""
        add(n.to, _card("renamed", "renamed", f"{_id(n.from_)} → {_id(n.to)}",
                        f"similarity {score(n.similarity)}{titles}"))
    for t in s.retitled:
        add(t.id, _card("retitled", "changed", _id(t.id), f"“<del>{_e(t.old)}</del>” → “<ins>{_e(t.new)}</ins>”"))
    for m in s.moved:
        add(m.id, _card("moved", "moved", _id(m.id), f"{_id(m.from_parent)} → {_id(m.to_parent)}"))
    for c in s.attrs_changed:
        add(c.id, _card(c.key, "attr", _id(c.id), f"<del>{_e(c.old)}</del> → <ins>{_e(c.new)}</ins>"))
    for o in s.reordered:
        add(o.id, _card("reordered", "moved", _id(o.id), f"position in {_id(o.parent)}"))
    for ch in s.changed:
        was = f" (was {_id(ch.old_id)})" if ch.old_id else ""
        if ch.diff:
            add(ch.id, _text_block("reworded", _id(ch.id) + was, f"similarity {score(ch.similarity)}", ch.diff), True)
        else:
            add(ch.id, _card("changed", "changed", _id(ch.id) + was, _e(ch.note)))


def _rule_cards(diff: SpecDiff, add: _Adder) -> None:
    r = diff.rules
    for a in r.added:
        add(a.section, _card("rule added", "added", _id(a.id), _e(a.text)))
    for d in r.removed:
        add(d.section, _card("rule removed", "removed", _id(d.id), _e(d.text)))
    for n in r.renamed:
        add(n.section, _card("rule renamed", "renamed", f"{_id(n.from_)} → {_id(n.to)}"))
    for m in r.moved:
        add(m.to_section, _card("rule moved", "moved", _id(m.id), f"{_id(m.from_section)} → {_id(m.to_section)}"))
    for c in r.changed:
        if c.old_response != c.new_response:
            add(c.section, _card("response", "attr", _id(c.id),
                                 f"<del>{_e(c.old_response)}</del> → <ins>{_e(c.new_response)}</ins>"))
        if c.diff:
            add(c.section, _text_block("rule changed", _id(c.id), f"similarity {score(c.similarity)}", c.diff), True)


def _example_cards(diff: SpecDiff, add: _Adder) -> None:
    e = diff.examples
    for a in e.added:
        add(a.section, _card("example added", "added", f"“{_e(a.title)}”", f"in {_id(a.section)}"))
    for d in e.removed:
        add(d.section, _card("example removed", "removed", f"“{_e(d.title)}”", f"in {_id(d.section)}"))
    for m in e.moved:
        add(m.to_section, _card("example moved", "moved", f"“{_e(m.title)}”",
                                f"{_id(m.from_section)} → {_id(m.to_section)}"))
    for t in e.retitled:
        add(t.section, _card("example retitled", "changed", f"“<del>{_e(t.old_title)}</del>” → "
                             f"“<ins>{_e(t.new_title)}</ins>”", f"in {_id(t.section)}"))
    for c in e.changed:
        add(c.section, _text_block("example changed", f"“{_e(c.title)}”",
                                   f"in {_id(c.section)} · similarity {score(c.similarity)}", c.diff), True)


class _Adder:
    """Collects rendered changes into groups keyed by top-level section."""

    def __init__(self, outline: _Outline) -> None:
        self.outline = outline
        self.groups: dict[str, _Group] = {}

    def __call__(self, section_id: str, html: str, text: bool = False) -> None:
        key = section_id if section_id == DOCUMENT else self.outline.group(section_id)
        title = "Document" if key == DOCUMENT else self.outline.titles.get(key, key)
        group = self.groups.setdefault(key, _Group(title=title))
        (group.texts if text else group.cards).append(html)

    def ordered(self) -> list[tuple[str, _Group]]:
        rank = {k: n for n, k in enumerate([DOCUMENT, *self.outline.order])}
        return sorted(self.groups.items(), key=lambda kv: rank.get(kv[0], len(rank)))


def _summary(diff: SpecDiff) -> str:
    counts = summary_counts(diff)
    tiles = []
    for group in ("sections", "rules", "examples"):
        items = [(k.split(".")[1].replace("attrs_changed", "attributes").replace("changed", "reworded"
                  if group == "sections" else "changed"), n) for k, n in counts.items() if k.startswith(group)]
        body = "".join(f'<div class="kv"><span>{escape(k)}</span><b>{n}</b></div>' for k, n in items)
        tiles.append(f'<div class="tile"><h3>{group.title()}</h3>{body or "<p class=none>no change</p>"}</div>')
    imp = diff.impact
    tiles.append(f'<div class="tile stale"><h3>Stale categories</h3><div class="big">{len(imp.stale_categories)}'
                 f'<small> / {imp.total_categories}</small></div></div>')
    return '<section class="tiles">' + "".join(tiles) + "</section>"


def _impact(diff: SpecDiff) -> str:
    imp = diff.impact
    if not imp.stale_categories:
        return '<section class="impact"><h2>Impact</h2><p>No compiled artifact is stale.</p></section>'
    rows = "".join(f'<li><span class="reason">{escape(reason)}</span> <span class="detail">({len(ids)})</span>'
                   '<div class="ids">' + " ".join(f"<code>{escape(i)}</code>" for i in ids) + "</div></li>"
                   for reason, ids in group_reasons(imp))
    shared = (f'<p class="shared"><b>Every category is stale</b>: {escape(imp.shared_reason)}.</p>'
              if imp.shared_reason else "")
    removed = ("<p>Removed categories: " + " ".join(f"<code>{escape(c)}</code>" for c in imp.removed_categories)
               + "</p>") if imp.removed_categories else ""
    return ('<section class="impact"><h2>Impact</h2><p>Compiled prompts, rubrics, data rows and checkpoints of '
            f"these categories need rebuilding.</p>{shared}<ul>{rows}</ul>{removed}</section>")


def _groups(diff: SpecDiff, outline: _Outline) -> str:
    add = _Adder(outline)
    for m in diff.meta:
        add(DOCUMENT, _card(m.key, "attr", "", f"<del>{_e(m.old)}</del> → <ins>{_e(m.new)}</ins>"))
    _section_cards(diff, add)
    _rule_cards(diff, add)
    _example_cards(diff, add)
    toc, body = [], []
    for n, (key, group) in enumerate(add.ordered()):
        anchor = f"g{n}"
        label = "" if key == DOCUMENT else f" <code>{escape(key)}</code>"
        count = len(group.cards) + len(group.texts)
        toc.append(f'<a href="#{anchor}">{escape(group.title)}<span class="count">{count}</span></a>')
        cards = f'<ul class="changes">{"".join(group.cards)}</ul>' if group.cards else ""
        body.append(f'<section class="group" id="{anchor}"><h2>{escape(group.title)}{label}</h2>'
                    f'{cards}{"".join(group.texts)}</section>')
    return f'<nav class="toc">{"".join(toc)}</nav>' + "".join(body)


def render_html(diff: SpecDiff, old: Spec, new: Spec) -> str:
    """The whole report as one HTML document."""
    if diff.changed:
        status, css = f"{sum(summary_counts(diff).values())} changes", "changed"
        content = _summary(diff) + _impact(diff) + _groups(diff, _Outline(old, new))
    else:
        status = "cosmetic changes only" if diff.cosmetic_only else "no change"
        css, content = "same", f'<p class="same-msg">The revision ids are equal: {escape(status)}.</p>'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Spec diff: {escape(diff.old)} → {escape(diff.new)}</title><style>{CSS}</style></head><body>"
        f'<header><div class="eyebrow">deliberative · semantic spec diff</div>'
        f'<h1><span class="ref">{escape(diff.old)}</span> <span class="arrow">→</span> '
        f'<span class="ref">{escape(diff.new)}</span></h1>'
        f'<div class="meta">revision <code>{escape(diff.old_revision)}</code> → <code>{escape(diff.new_revision)}'
        f'</code> <span class="status {css}">{escape(status)}</span></div></header>'
        f"<main>{content}</main></body></html>\n"
    )
