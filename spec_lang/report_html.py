"""A self-contained HTML report of a `SpecDiff`: one file, inline CSS, no script, no external resource.

Flagged changes come first (a red banner of risks, such as an authority lowered; then notable changes: see
`_diff_risk`), then the summary counts and the impact; then every change, grouped by top-level section, a
flagged one with its badge in the flag's colour. Text changes (section text, rules, examples, the preamble)
are shown side by side (before | after), each side's Markdown rendered with its changed words marked
`<del>` / `<ins>` (`_diff_html_text`); titles and rules in the lists are rendered as inline Markdown. Spec
text is never trusted: raw HTML in it is escaped and unsafe links are not made. The specs are only read for
the section outline (titles and top-level ancestors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from spec_lang._diff_html_text import render_inline, side_by_side
from spec_lang._diff_model import Chunk, SpecDiff
from spec_lang._diff_render import group_reasons
from spec_lang._diff_risk import LABELS, flag_index
from spec_lang._diff_summary import score, summary_counts
from spec_lang._diff_words import word_diff
from spec_lang._html import CSS
from spec_lang.model import Spec

DOCUMENT = "\x00document"
"""Group key of changes that belong to no section (metadata, preamble)."""


@dataclass
class _Group:
    title: str
    cards: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


def _e(value: str | None) -> str:
    return "<i>none</i>" if value is None else escape(value)


def _md(value: str | None) -> str:
    """Spec text (a title, a rule) rendered as inline Markdown."""
    return "<i>none</i>" if value is None else render_inline(value)


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


def _card(kind: str, css: str, title: str, detail: str = "", flag: str | None = None) -> str:
    """One change; a flagged one (`risk` or `notable`) has its badge in the flag's colour and a ⚠ if risky."""
    detail_html = f'<span class="detail">{detail}</span>' if detail else ""
    if flag:
        css, kind = flag, ("⚠ " if flag == "risk" else "") + kind
    return (f'<li class="change{" " + flag if flag else ""}"><span class="badge {css}">{escape(kind)}</span> '
            f"{title} {detail_html}</li>")


def _text_block(kind: str, title: str, detail: str, chunks: tuple[Chunk, ...]) -> str:
    return (f'<div class="text-change"><div class="text-head"><span class="badge changed">{escape(kind)}</span> '
            f'{title} <span class="detail">{detail}</span></div>{side_by_side(chunks)}</div>')


def _section_cards(diff: SpecDiff, add: _Adder) -> None:
    s = diff.sections
    for a in s.added:
        add(a.id, _card("added", "added", _id(a.id), f"“{_md(a.title)}” in {_id(a.parent)}"))
    for r in s.removed:
        add(r.id, _card("removed", "removed", _id(r.id), f"“{_md(r.title)}”", add.flag("section", r.id)))
    for n in s.renamed:
        titles = f" · “{_md(n.old_title)}” → “{_md(n.new_title)}”" if n.old_title != n.new_title else ""
        add(n.to, _card("renamed", "renamed", f"{_id(n.from_)} → {_id(n.to)}",
                        f"similarity {score(n.similarity)}{titles}"))
    for t in s.retitled:
        add(t.id, _card("retitled", "changed", _id(t.id), f"“<del>{_md(t.old)}</del>” → “<ins>{_md(t.new)}</ins>”"))
    for m in s.moved:
        add(m.id, _card("moved", "moved", _id(m.id), f"{_id(m.from_parent)} → {_id(m.to_parent)}"))
    for c in s.attrs_changed:
        flag = add.flag("section", c.id) if c.key in ("authority", "kind") else None
        add(c.id, _card(c.key, "attr", _id(c.id), f"<del>{_e(c.old)}</del> → <ins>{_e(c.new)}</ins>", flag))
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
        add(a.section, _card("rule added", "added", _id(a.id), _md(a.text)))
    for d in r.removed:
        add(d.section, _card("rule removed", "removed", _id(d.id), _md(d.text), add.flag("rule", d.id)))
    for n in r.renamed:
        add(n.section, _card("rule renamed", "renamed", f"{_id(n.from_)} → {_id(n.to)}"))
    for m in r.moved:
        add(m.to_section, _card("rule moved", "moved", _id(m.id), f"{_id(m.from_section)} → {_id(m.to_section)}"))
    for c in r.changed:
        if c.old_response != c.new_response:
            add(c.section, _card("response", "attr", _id(c.id),
                                 f"<del>{_e(c.old_response)}</del> → <ins>{_e(c.new_response)}</ins>",
                                 add.flag("rule", c.id)))
        if c.diff:
            add(c.section, _text_block("rule changed", _id(c.id), f"similarity {score(c.similarity)}", c.diff), True)


def _example_cards(diff: SpecDiff, add: _Adder) -> None:
    e = diff.examples
    for a in e.added:
        add(a.section, _card("example added", "added", f"“{_md(a.title)}”", f"in {_id(a.section)}"))
    for d in e.removed:
        add(d.section, _card("example removed", "removed", f"“{_md(d.title)}”", f"in {_id(d.section)}"))
    for m in e.moved:
        add(m.to_section, _card("example moved", "moved", f"“{_md(m.title)}”",
                                f"{_id(m.from_section)} → {_id(m.to_section)}"))
    for t in e.retitled:
        add(t.section, _card("example retitled", "changed", f"“<del>{_md(t.old_title)}</del>” → "
                             f"“<ins>{_md(t.new_title)}</ins>”", f"in {_id(t.section)}"))
    for c in e.changed:
        add(c.section, _text_block("example changed", f"“{_md(c.title)}”",
                                   f"in {_id(c.section)} · similarity {score(c.similarity)}", c.diff), True)


class _Adder:
    """Collects rendered changes into groups keyed by top-level section."""

    def __init__(self, outline: _Outline, diff: SpecDiff) -> None:
        self.outline = outline
        self.groups: dict[str, _Group] = {}
        self.flags = flag_index(diff)

    def flag(self, kind: str, item_id: str) -> str | None:
        """The severity of the flag on a section or rule (`kind`), if any."""
        return self.flags.get((kind, item_id))

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


_FLAG_HEADS = {"risk": ("⚠ Risky changes", "These changes may weaken the policy: review them before merging."),
               "notable": ("Notable changes", "Changes in force that tighten or add; not risks.")}


def _flags(diff: SpecDiff) -> str:
    """The flagged changes, first in the report: a red banner of risks, then a blue one of notable changes."""
    out = []
    for severity, (title, intro) in _FLAG_HEADS.items():
        flags = [f for f in diff.flags if f.severity == severity]
        items = "".join(f'<li><span class="badge {severity}">{escape(LABELS[f.code])}</span> '
                        f'{_id(f.rule) + " in " if f.rule else ""}{_id(f.section)} '
                        f'<span class="detail">{escape(f.message)}</span></li>' for f in flags)
        if flags:
            out.append(f'<section class="flags {severity}"><h2>{title} <span class="count">{len(flags)}</span>'
                       f"</h2><p>{intro}</p><ul>{items}</ul></section>")
    return "".join(out)


def _groups(diff: SpecDiff, outline: _Outline) -> str:
    add = _Adder(outline, diff)
    for m in diff.meta:
        if m.key == "preamble":
            add(DOCUMENT, _text_block("preamble", "", "", word_diff(m.old or "", m.new or "")[0]), True)
        else:
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
        content = _flags(diff) + _summary(diff) + _impact(diff) + _groups(diff, _Outline(old, new))
    else:
        status = "cosmetic changes only" if diff.cosmetic_only else "no change"
        css, content = "same", f'<p class="same-msg">The revision ids are equal: {escape(status)}.</p>'
    risky = f' <span class="status risk">⚠ {len(diff.risks)} risky</span>' if diff.risky else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Spec diff: {escape(diff.old)} → {escape(diff.new)}</title><style>{CSS}</style></head><body>"
        f'<header><div class="eyebrow">deliberative · semantic spec diff</div>'
        f'<h1><span class="ref">{escape(diff.old)}</span> <span class="arrow">→</span> '
        f'<span class="ref">{escape(diff.new)}</span></h1>'
        f'<div class="meta">revision <code>{escape(diff.old_revision)}</code> → <code>{escape(diff.new_revision)}'
        f'</code> <span class="status {css}">{escape(status)}</span>{risky}</div></header>'
        f"<main>{content}</main></body></html>\n"
    )
