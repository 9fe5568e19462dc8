"""Markdown rendering of a `SpecDiff`, for a pull-request comment or a changelog.

Spec text is escaped: table cells escape `|`, and word diffs are single-line HTML (`<del>`/`<ins>`)
blocks, which GitHub shows as they are without reading Markdown inside them (the source words a reviewer
edits; the HTML report renders them). Flagged changes (`_diff_risk`) come first, as GitHub alerts: risks in a
`[!CAUTION]` block, notable changes in a `[!NOTE]` one; a risky entry's table row starts with `⚠`.
"""

from __future__ import annotations

from html import escape

from spec_lang._diff_model import Chunk, FlagSeverity, SpecDiff
from spec_lang._diff_render import CONTEXT, group_reasons
from spec_lang._diff_risk import flag_index
from spec_lang._diff_summary import count_phrases, score, stale_phrase
from spec_lang._diff_words import BREAK, LINE, elide, inline


def _code(value: str | None) -> str:
    if value is None:
        return "*(none)*"
    return "<code>" + escape(value).replace("|", "&#124;") + "</code>"


def _cell(value: str | None) -> str:
    if value is None:
        return "*(none)*"
    return escape(" ".join(value.split())).replace("|", "&#124;")


def _breaks(html: str) -> str:
    return html.replace(BREAK, "<br><br>").replace(LINE, "<br>")


def words_html(chunks: tuple[Chunk, ...], context: int = CONTEXT) -> str:
    """An elided word diff as one line of HTML."""
    out = []
    for op, body, tail in inline(elide(chunks, context)):
        html = _breaks(escape(body))
        out.append({"delete": f"<del>{html}</del>", "insert": f"<ins>{html}</ins>"}.get(op, html) + _breaks(tail))
    return "<p>" + "".join(out) + "</p>"


def _table(rows: list[tuple[str, str, str]]) -> list[str]:
    if not rows:
        return []
    lines = ["| change | item | details |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return [*lines, ""]


_MARK: dict[FlagSeverity | None, str] = {"risk": "⚠ ", "notable": "", None: ""}
"""What marks a flagged table row: only risks are marked (notable changes are listed first)."""


def _flags(diff: SpecDiff) -> list[str]:
    """Risks in a caution alert, then notable changes in a note."""
    lines: list[str] = []
    for severity, alert, title in (("risk", "CAUTION", "⚠ Risky changes: review these first"),
                                   ("notable", "NOTE", "Notable changes")):
        flags = [f for f in diff.flags if f.severity == severity]
        if flags:
            lines += [f"> [!{alert}]", f"> **{title}**", ">"]
            lines += [f"> - {'rule ' + _code(f.rule) + ' in ' if f.rule else 'section '}{_code(f.section)}: "
                      f"{_cell(f.message)}" for f in flags]
            lines.append("")
    return lines


def _section_rows(diff: SpecDiff) -> list[tuple[str, str, str]]:
    s = diff.sections
    flags = flag_index(diff)
    rows = [("added", _code(a.id), _cell(a.title) + (f" (in {_code(a.parent)})" if a.parent else "")) for a in s.added]
    rows += [(_MARK[flags.get(("section", r.id))] + "removed", _code(r.id), _cell(r.title)) for r in s.removed]
    rows += [("renamed", f"{_code(n.from_)} → {_code(n.to)}", f"similarity {score(n.similarity)}") for n in s.renamed]
    rows += [("retitled", _code(t.id), f"{_cell(t.old)} → {_cell(t.new)}") for t in s.retitled]
    rows += [("moved", _code(m.id), f"{_code(m.from_parent)} → {_code(m.to_parent)}") for m in s.moved]
    rows += [(_MARK[flags.get(("section", c.id)) if c.key in ("authority", "kind") else None] + _cell(c.key),
              _code(c.id), f"{_code(c.old)} → {_code(c.new)}") for c in s.attrs_changed]
    rows += [("reordered", _code(o.id), f"in {_code(o.parent)}") for o in s.reordered]
    return rows


def _rule_rows(diff: SpecDiff) -> list[tuple[str, str, str]]:
    r, flags = diff.rules, flag_index(diff)
    rows = [("added", _code(a.id), f"in {_code(a.section)}: {_cell(a.text)}") for a in r.added]
    rows += [(_MARK[flags.get(("rule", d.id))] + "removed", _code(d.id), f"in {_code(d.section)}: {_cell(d.text)}")
             for d in r.removed]
    rows += [("renamed", f"{_code(n.from_)} → {_code(n.to)}", f"in {_code(n.section)}") for n in r.renamed]
    rows += [("moved", _code(m.id), f"{_code(m.from_section)} → {_code(m.to_section)}") for m in r.moved]
    rows += [(_MARK[flags.get(("rule", c.id))] + "response", _code(c.id), f"{_code(c.old_response)} → "
              f"{_code(c.new_response)}")
             for c in r.changed if c.old_response != c.new_response]
    return rows


def _example_rows(diff: SpecDiff) -> list[tuple[str, str, str]]:
    e = diff.examples
    rows = [("added", _cell(a.title), f"in {_code(a.section)}") for a in e.added]
    rows += [("removed", _cell(d.title), f"in {_code(d.section)}") for d in e.removed]
    rows += [("moved", _cell(m.title), f"{_code(m.from_section)} → {_code(m.to_section)}") for m in e.moved]
    rows += [("retitled", _cell(t.old_title), f"→ {_cell(t.new_title)} (in {_code(t.section)})") for t in e.retitled]
    return rows


def _details(summary: str, chunks: tuple[Chunk, ...]) -> list[str]:
    return [f"<details><summary>{summary}</summary>", "", words_html(chunks), "", "</details>", ""]


def _text_changes(diff: SpecDiff) -> list[str]:
    lines: list[str] = []
    for ch in diff.sections.changed:
        was = f" (was {_code(ch.old_id)})" if ch.old_id else ""
        head = f"section {_code(ch.id)}{was}: " + (escape(ch.note) if ch.note else f"similarity {score(ch.similarity)}")
        lines += _details(head, ch.diff) if ch.diff else [f"- {head}", ""]
    for rc in diff.rules.changed:
        if rc.diff:
            lines += _details(f"rule {_code(rc.id)} in {_code(rc.section)}: similarity {score(rc.similarity)}", rc.diff)
    for ec in diff.examples.changed:
        head = f"example “{_cell(ec.title)}” in {_code(ec.section)}: similarity {score(ec.similarity)}"
        lines += _details(head, ec.diff)
    return lines


def render_markdown(diff: SpecDiff) -> str:
    """The Markdown report."""
    lines = [f"## Spec diff: {_code(diff.old)} → {_code(diff.new)}", "",
             f"Revision {_code(diff.old_revision)} → {_code(diff.new_revision)}", ""]
    if not diff.changed:
        lines.append("**Cosmetic changes only.**" if diff.cosmetic_only else "**No change.**")
        return "\n".join(lines) + "\n"
    lines += [f"**Summary:** {escape(', '.join(count_phrases(diff)))}; {escape(stale_phrase(diff))}", ""]
    lines += _flags(diff)
    if diff.meta:
        lines += ["### Metadata", "", *_table([(_cell(m.key), "", f"{_cell(m.old)} → {_cell(m.new)}")
                                               for m in diff.meta])]
    for title, rows in (("Sections", _section_rows(diff)), ("Rules", _rule_rows(diff)),
                        ("Examples", _example_rows(diff))):
        if rows:
            lines += [f"### {title}", "", *_table(rows)]
    text = _text_changes(diff)
    if text:
        lines += ["### Text changes", "", *text]
    lines += ["### Impact", ""]
    imp = diff.impact
    if not imp.stale_categories:
        lines.append("No compiled artifact is stale.")
    else:
        lines += [f"{len(imp.stale_categories)} of {imp.total_categories} categories are stale: their compiled "
                  "prompts, rubrics, data rows and checkpoints need rebuilding.", ""]
        if imp.shared_reason:
            lines += [f"Every category: {_cell(imp.shared_reason)}.", ""]
        lines += [f"- {_cell(reason)}: {', '.join(_code(i) for i in ids)}" for reason, ids in group_reasons(imp)]
    if imp.removed_categories:
        lines += ["", "Removed categories: " + ", ".join(_code(c) for c in imp.removed_categories)]
    return "\n".join(lines) + "\n"
