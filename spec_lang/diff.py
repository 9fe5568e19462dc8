"""Semantic diff of two specs: what changed in meaning, in the policy team's terms, and what goes stale.

`diff_specs(old, new)` is a pure function returning a frozen `SpecDiff`: sections added, removed,
renamed (matched by content similarity), retitled, moved, re-attributed, reworded and reordered; rules
and examples added, removed, renamed, moved, retitled and changed; metadata changes; the `impact`, the
categories whose compiled `spec(category)` changed; and the `flags`, changes in force to review first
(authority lowered or removed, a response relaxed, a restriction or a category removed: see `_diff_risk`).
Formatting never shows up: every comparison is on normalised text, so a purely cosmetic edit yields an
empty diff with `cosmetic_only` set.
Renderers (`render_text`, `render_markdown`, `render_json`, and `report_html.render_html`) read a `SpecDiff`;
`spec_lang.log` applies the diff to a file's git history.
"""

from __future__ import annotations

import json
from typing import Any

from spec_lang._diff_impact import impact as _impact
from spec_lang._diff_items import example_changes, rule_changes
from spec_lang._diff_markdown import render_markdown
from spec_lang._diff_model import (
    AttrChange,
    Chunk,
    ExampleChange,
    ExampleChanges,
    ExampleMoved,
    ExampleRef,
    ExampleRetitled,
    Flag,
    Impact,
    MetaChange,
    Moved,
    Renamed,
    Reordered,
    Retitled,
    RuleChange,
    RuleChanges,
    RuleMoved,
    RuleRef,
    RuleRenamed,
    SectionChange,
    SectionChanges,
    SectionRef,
    SpecDiff,
    StaleCategory,
)
from spec_lang._diff_render import render_json, render_text
from spec_lang._diff_risk import diff_flags
from spec_lang._diff_sections import RENAME_THRESHOLD, SectionMatch, match_sections, section_changes
from spec_lang._diff_summary import summary_counts, summary_line
from spec_lang._diff_words import block_text
from spec_lang.model import Spec
from spec_lang.versions import SpecHashes, normalised

__all__ = [
    "RENAME_THRESHOLD",
    "AttrChange",
    "Chunk",
    "ExampleChange",
    "ExampleChanges",
    "ExampleMoved",
    "ExampleRef",
    "ExampleRetitled",
    "Flag",
    "Impact",
    "MetaChange",
    "Moved",
    "Renamed",
    "Reordered",
    "Retitled",
    "RuleChange",
    "RuleChanges",
    "RuleMoved",
    "RuleRef",
    "RuleRenamed",
    "SectionChange",
    "SectionChanges",
    "SectionRef",
    "SpecDiff",
    "StaleCategory",
    "diff_specs",
    "impact",
    "render_json",
    "render_markdown",
    "render_text",
    "summary_counts",
    "summary_line",
]


def impact(old: Spec, new: Spec) -> Impact:
    """The categories of `new` whose compiled artifacts built from `old` are stale, each with a reason
    (the ids are exactly `versions.stale_categories(old, new)`)."""
    return _impact(SpecHashes(old), SpecHashes(new), match_sections(old, new).old_to_new)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _preamble(spec: Spec) -> str:
    return "\n\n".join(t for t in (block_text(b) for b in spec.preamble) if t)


def meta_changes(old: Spec, new: Spec) -> tuple[MetaChange, ...]:
    """Metadata fields (and `extra` keys), the spec format and the preamble text that changed."""
    before, after = normalised(old.meta), normalised(new.meta)
    before.update({f"extra.{k}": v for k, v in before.pop("extra").items()})
    after.update({f"extra.{k}": v for k, v in after.pop("extra").items()})
    before["format"], after["format"] = old.format, new.format
    out = [MetaChange(key=k, old=_text(before.get(k)), new=_text(after.get(k)))
           for k in [*before, *(k for k in after if k not in before)] if before.get(k) != after.get(k)]
    old_pre, new_pre = _preamble(old), _preamble(new)
    if [normalised(b) for b in old.preamble] != [normalised(b) for b in new.preamble]:
        out.append(MetaChange(key="preamble", old=old_pre or None, new=new_pre or None))
    return tuple(out)


def _contents(hashes: SpecHashes) -> dict[int, dict[str, Any]]:
    """`section_own` without the id, keyed by the section object's identity."""
    return {id(s): {k: v for k, v in own.items() if k != "id"} for s, own in zip(hashes.spec.sections, hashes.own,
                                                                               strict=True)}


def _unexplained(match: SectionMatch, hashes: tuple[SpecHashes, SpecHashes], sections: SectionChanges,
                 rules: RuleChanges, examples: ExampleChanges) -> tuple[SectionChange, ...]:
    """Matched sections whose content differs in a way no other entry reports (blocks reordered)."""
    touched = {c.id for c in sections.attrs_changed} | {c.id for c in sections.changed}
    touched |= {r.id for r in sections.retitled}
    touched |= {r.section for r in rules.added + rules.removed} | {r.section for r in rules.renamed + rules.changed}
    touched |= {m.from_section for m in rules.moved} | {m.to_section for m in rules.moved}
    touched |= {e.section for e in examples.added + examples.removed} | {e.section for e in examples.changed}
    touched |= {e.section for e in examples.retitled}
    touched |= {m.from_section for m in examples.moved} | {m.to_section for m in examples.moved}
    before, after = _contents(hashes[0]), _contents(hashes[1])
    out = []
    for o, n in match.pairs:
        if n.id not in touched and o.id not in touched and before[id(o)] != after[id(n)]:
            out.append(SectionChange(id=n.id, old_id=o.id if o.id != n.id else None, similarity=1.0, diff=(),
                                     note="order of blocks (rules, examples, text) changed"))
    return tuple(out)


def _layout(spec: Spec) -> list[tuple[int, ...]]:
    spans = [s.span for s in spec.sections] + [b.span for s in spec.sections for b in s.body]
    return [(sp.line, sp.col, sp.end_line or 0) if sp else (0,) for sp in spans]


def diff_specs(old: Spec, new: Spec, *, sources_differ: bool | None = None) -> SpecDiff:
    """The semantic diff from `old` to `new` (pure; see the module docstring).

    `sources_differ` says whether the raw texts differ, for `cosmetic_only`; when not given it is inferred
    from the models (verbatim text and layout), which do not record every formatting detail (list markers)."""
    old_hashes, new_hashes = SpecHashes(old), SpecHashes(new)
    old_rev, new_rev = old_hashes.revision, new_hashes.revision
    if old_rev == new_rev:
        if sources_differ is None:
            sources_differ = old.semantic() != new.semantic() or _layout(old) != _layout(new)
        return SpecDiff(old=old.path, new=new.path, old_revision=old_rev, new_revision=new_rev,
                        cosmetic_only=sources_differ, impact=Impact(total_categories=len(new.categories)))
    match = match_sections(old, new)
    sections = section_changes(old, new, match)
    rules, examples = rule_changes(old, new, match), example_changes(old_hashes, new_hashes, match)
    extra = _unexplained(match, (old_hashes, new_hashes), sections, rules, examples)
    if extra:
        sections = sections.model_copy(update={"changed": sections.changed + extra})
    result = SpecDiff(old=old.path, new=new.path, old_revision=old_rev, new_revision=new_rev, cosmetic_only=False,
                      meta=meta_changes(old, new), sections=sections, rules=rules, examples=examples,
                      impact=_impact(old_hashes, new_hashes, match.old_to_new))
    if not summary_counts(result):
        result = result.model_copy(update={"meta": (MetaChange(key="other", old=old_rev, new=new_rev),)})
    return result.model_copy(update={"flags": diff_flags(result, old, new)})
