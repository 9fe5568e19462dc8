"""Renderers of a `SpecDiff` for the terminal (rich `Text`; `.plain` for files) and as JSON.

Deletions read `[-old words-]`, insertions `{+new words+}` (as `git diff --word-diff=plain`), so the
plain text stays readable without colour. Flagged changes (`_diff_risk`) are listed first, risks marked `⚠`,
and a risky entry is marked `⚠` again in its place.
"""

from __future__ import annotations

import json

from rich.text import Text

from spec_lang._diff_model import Chunk, FlagSeverity, Impact, SpecDiff
from spec_lang._diff_risk import flag_index, where
from spec_lang._diff_summary import count_phrases, score, stale_phrase
from spec_lang._diff_words import BREAK, LINE, elide, inline

CONTEXT = 8
"""Unchanged words shown on each side of a change."""

_STYLE = {"delete": "red strike", "insert": "green", "skip": "dim"}


def render_json(diff: SpecDiff) -> str:
    """`delib diff --format json`: the `SpecDiff.to_json()` object, indented."""
    return json.dumps(diff.to_json(), indent=2, ensure_ascii=False) + "\n"


def _line(text: Text, *parts: tuple[str, str]) -> None:
    for content, style in parts:
        text.append(content, style=style or None)
    text.append("\n")


def _words(text: Text, chunks: tuple[Chunk, ...], indent: str = "      ") -> None:
    """Append an elided word diff, one paragraph per line."""
    text.append(indent)
    for op, body, tail in inline(elide(chunks, CONTEXT)):
        body, tail = (part.replace(BREAK, LINE).replace(LINE, "\n" + indent) for part in (body, tail))
        if op == "delete":
            text.append("[-" + body + "-]", style=_STYLE[op])
        elif op == "insert":
            text.append("{+" + body + "+}", style=_STYLE[op])
        else:
            text.append(body, style=_STYLE.get(op))
        text.append(tail)
    text.append("\n")


def _heading(text: Text, title: str, style: str = "bold") -> None:
    text.append("\n" + title + "\n", style=style)


_MARK: dict[FlagSeverity | None, tuple[str, str]] = {"risk": ("⚠ ", "bold red"), "notable": ("", ""),
                                                     None: ("", "")}
"""What marks a flagged entry in its place: only risks are marked (notable changes are listed first)."""


def _flags(text: Text, diff: SpecDiff) -> None:
    """Risks, then notable changes, before anything else."""
    for severity, title, style in (("risk", "⚠ Risky changes (review first)", "bold red"),
                                   ("notable", "Notable changes", "bold cyan")):
        flags = [f for f in diff.flags if f.severity == severity]
        if flags:
            _heading(text, title, style)
        for f in flags:
            _line(text, ("  ⚠ " if severity == "risk" else "  • ", style), (where(f), "bold"), (f": {f.message}", ""))


def _sections(text: Text, diff: SpecDiff) -> None:
    s = diff.sections
    if not any((s.added, s.removed, s.renamed, s.retitled, s.moved, s.attrs_changed, s.changed, s.reordered)):
        return
    _heading(text, "Sections")
    for a in s.added:
        where = f"  (in {a.parent})" if a.parent else ""
        _line(text, ("  + ", "green"), (a.id, "bold green"), (f'  "{a.title}"{where}', ""))
    flags = flag_index(diff)
    for r in s.removed:
        _line(text, ("  - ", "red"), _MARK[flags.get(("section", r.id))], (r.id, "bold red"), (f'  "{r.title}"', ""))
    for n in s.renamed:
        _line(text, ("  renamed   ", "yellow"), (f"{n.from_} → {n.to}", "bold"),
              (f"  (similarity {score(n.similarity)})", ""))
    for t in s.retitled:
        _line(text, ("  retitled  ", "yellow"), (t.id, "bold"), (f': "{t.old}" → "{t.new}"', ""))
    for m in s.moved:
        _line(text, ("  moved     ", "yellow"), (m.id, "bold"),
              (f": {m.from_parent or '(top)'} → {m.to_parent or '(top)'}", ""))
    for c in s.attrs_changed:
        mark = _MARK[flags.get(("section", c.id)) if c.key in ("authority", "kind") else None]
        _line(text, (f"  {c.key:<9} ", "yellow"), mark, (c.id, "bold"),
              (f": {c.old or '(none)'} → {c.new or '(none)'}", ""))
    for o in s.reordered:
        _line(text, ("  reordered ", "yellow"), (o.id, "bold"), (f"  (in {o.parent or '(top)'})", ""))
    for ch in s.changed:
        was = f" (was {ch.old_id})" if ch.old_id else ""
        detail = ch.note or f"similarity {score(ch.similarity)}"
        _line(text, ("  reworded  ", "yellow"), (ch.id + was, "bold"), (f"  ({detail})", ""))
        if ch.diff:
            _words(text, ch.diff)


def _rules(text: Text, diff: SpecDiff) -> None:
    r = diff.rules
    if not any((r.added, r.removed, r.renamed, r.moved, r.changed)):
        return
    _heading(text, "Rules")
    flags = flag_index(diff)
    for a in r.added:
        _line(text, ("  + ", "green"), (a.id, "bold green"), (f"  ({a.section}) {a.text}", ""))
    for d in r.removed:
        _line(text, ("  - ", "red"), _MARK[flags.get(("rule", d.id))], (d.id, "bold red"),
              (f"  ({d.section}) {d.text}", ""))
    for n in r.renamed:
        _line(text, ("  renamed   ", "yellow"), (f"{n.from_} → {n.to}", "bold"), (f"  ({n.section})", ""))
    for m in r.moved:
        _line(text, ("  moved     ", "yellow"), (m.id, "bold"), (f": {m.from_section} → {m.to_section}", ""))
    for c in r.changed:
        response = f": response {c.old_response} → {c.new_response}" if c.old_response != c.new_response else ""
        _line(text, ("  changed   ", "yellow"), _MARK[flags.get(("rule", c.id)) if response else None], (c.id, "bold"),
              (f"  ({c.section}){response}", ""))
        if c.diff:
            _words(text, c.diff)


def _examples(text: Text, diff: SpecDiff) -> None:
    e = diff.examples
    if not any((e.added, e.removed, e.moved, e.retitled, e.changed)):
        return
    _heading(text, "Examples")
    for a in e.added:
        _line(text, ("  + ", "green"), (f'"{a.title}"', "green"), (f"  ({a.section})", ""))
    for d in e.removed:
        _line(text, ("  - ", "red"), (f'"{d.title}"', "red"), (f"  ({d.section})", ""))
    for m in e.moved:
        _line(text, ("  moved     ", "yellow"), (f'"{m.title}"', "bold"), (f": {m.from_section} → {m.to_section}", ""))
    for t in e.retitled:
        _line(text, ("  retitled  ", "yellow"), (f'"{t.old_title}" → "{t.new_title}"', ""), (f"  ({t.section})", ""))
    for c in e.changed:
        _line(text, ("  changed   ", "yellow"), (f'"{c.title}"', "bold"),
              (f"  ({c.section}, similarity {score(c.similarity)})", ""))
        _words(text, c.diff)


SHARED_ONLY = "shared part only"


def group_reasons(impact: Impact) -> list[tuple[str, list[str]]]:
    """Stale categories grouped by their own reason (the shared reason, when any, said once elsewhere), in
    order of first appearance."""
    groups: dict[str, list[str]] = {}
    for c in impact.stale_categories:
        label = c.reason
        if impact.shared_reason:
            label = label.removesuffix(impact.shared_reason).rstrip("; ") or SHARED_ONLY
        groups.setdefault(label, []).append(c.id)
    return list(groups.items())


def _ids(ids: list[str], limit: int = 12) -> str:
    return ", ".join(ids[:limit]) + (f" +{len(ids) - limit} more" if len(ids) > limit else "")


def _impact(text: Text, diff: SpecDiff) -> None:
    imp = diff.impact
    _heading(text, "Impact")
    if not imp.stale_categories:
        _line(text, ("  no compiled artifact is stale", "green"))
    else:
        _line(text, (f"  {len(imp.stale_categories)} of {imp.total_categories} categories stale: ", "bold yellow"),
              ("their compiled prompts, rubrics, data rows and checkpoints need rebuilding", ""))
        if imp.shared_reason:
            _line(text, ("  every category: ", "yellow"), (imp.shared_reason, ""))
        for reason, ids in group_reasons(imp):
            if reason != SHARED_ONLY:
                _line(text, ("  • ", "yellow"), (_ids(ids), "bold"), (f" — {reason}", "dim"))
    if imp.removed_categories:
        _line(text, ("  removed categories: ", "red"), (", ".join(imp.removed_categories), ""))


def render_text(diff: SpecDiff) -> Text:
    """The terminal report (`.plain` is the same without colour)."""
    text = Text()
    _line(text, ("Spec diff ", "bold"), (f"{diff.old} ({diff.old_revision}) → {diff.new} ({diff.new_revision})", ""))
    if not diff.changed:
        _line(text, ("cosmetic changes only" if diff.cosmetic_only else "no change", "green"),
              (": the revision ids are equal", ""))
        return text
    _line(text, (", ".join(count_phrases(diff)), ""), ("; " + stale_phrase(diff), "yellow"))
    _flags(text, diff)
    if diff.meta:
        _heading(text, "Metadata")
        for m in diff.meta:
            _line(text, (f"  {m.key}: ", "yellow"), (f"{_short(m.old)} → {_short(m.new)}", ""))
    _sections(text, diff)
    _rules(text, diff)
    _examples(text, diff)
    _impact(text, diff)
    return text


def _short(value: str | None, limit: int = 120) -> str:
    if value is None:
        return "(none)"
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"
