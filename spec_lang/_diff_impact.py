"""Impact of a change on compiled artifacts: which categories are stale, and why.

The stale set is exactly `versions.stale_categories` (a category is stale when its `category_hashes`
entry changed or is new); this module adds a short reason to each, naming what changed in the part
every category includes (metadata, shared sections, category summaries) and in the category's own subtree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from spec_lang._diff_model import Impact, StaleCategory
from spec_lang.model import Section
from spec_lang.versions import SpecHashes, category_summary, digest, normalised, shared_sections, stale_categories

MAX_NAMES = 3
"""Ids named in one reason before `+N more`."""


def names(ids: Sequence[str], limit: int = MAX_NAMES) -> str:
    """`a, b, c +2 more`."""
    shown = ", ".join(ids[:limit])
    return shown + (f" +{len(ids) - limit} more" if len(ids) > limit else "")


def _keyed_changes(old: Sequence[tuple[str, Any]], new: Sequence[tuple[str, Any]]) -> list[str]:
    """Ids whose value differs, appears or disappears between two (id, value) lists; order changes too."""
    before, after = dict(old), dict(new)
    out = [k for k, v in after.items() if before.get(k) != v]
    out += [k for k in before if k not in after]
    if not out and [k for k, _ in old] != [k for k, _ in new]:
        out.append("order")
    return out


@dataclass(frozen=True)
class _Sides:
    """Both specs, their section hashes, and old id -> new id for renamed sections."""

    old: SpecHashes
    new: SpecHashes
    renames: Mapping[str, str]

    def before(self, sections: Sequence[Section]) -> list[tuple[str, str]]:
        """(new id, hash) of old sections: a renamed section is compared with its new self."""
        own = self.old.section_hashes
        return [(self.renames.get(s.id, s.id), own[s.id]) for s in sections]

    def after(self, sections: Sequence[Section]) -> list[tuple[str, str]]:
        own = self.new.section_hashes
        return [(s.id, own[s.id]) for s in sections]


def shared_reason(sides: _Sides) -> str | None:
    """What changed in the part every compiled `spec(category)` includes, or None."""
    old, new = sides.old.spec, sides.new.spec
    parts: list[str] = []
    if normalised(old.meta) != normalised(new.meta):
        parts.append("metadata")
    shared = _keyed_changes(sides.before(shared_sections(old)), sides.after(shared_sections(new)))
    if shared == ["order"]:
        parts.append("order of shared sections")
    elif shared:
        parts.append(names(shared))
    summaries = _keyed_changes([(c.id, digest(category_summary(c))) for c in old.categories],
                               [(c.id, digest(category_summary(c))) for c in new.categories])
    if summaries == ["order"]:
        parts.append("category order")
    elif summaries:
        parts.append(f"{len(summaries)} category {'summary' if len(summaries) == 1 else 'summaries'}")
    return f"shared part changed: {', '.join(parts)}" if parts else None


def _own_reason(sides: _Sides, cid: str, renamed_from: str | None) -> str:
    old, new = sides.old.spec, sides.new.spec
    source = renamed_from or cid
    if old.get(source) is None or old.section(source).kind != "category":
        return f"renamed from {renamed_from}" if renamed_from else "new category"
    changed = _keyed_changes(sides.before(old.subtree(source)), sides.after(new.subtree(cid)))
    prefix = f"renamed from {renamed_from}; " if renamed_from else ""
    if not changed:
        return prefix.rstrip("; ")
    if changed == ["order"]:
        return prefix + "subsections reordered"
    where = [c for c in changed if c != cid]
    if len(where) == len(changed):
        return prefix + f"content changed in {names(where)}"
    return prefix + "own content changed" + (f" (also {names(where)})" if where else "")


def impact(old_hashes: SpecHashes, new_hashes: SpecHashes, renames: Mapping[str, str] | None = None) -> Impact:
    """Stale categories of the new spec with a reason each; `renames` maps old to new ids of renamed sections."""
    sides = _Sides(old_hashes, new_hashes, {k: v for k, v in (renames or {}).items() if k != v})
    stale = stale_categories(old_hashes, new_hashes)
    shared = shared_reason(sides) if stale else None
    back = {v: k for k, v in sides.renames.items()}
    out: list[StaleCategory] = []
    for cid in stale:
        reasons = [r for r in (_own_reason(sides, cid, back.get(cid)), shared) if r]
        out.append(StaleCategory(id=cid, reason="; ".join(reasons) or "compiled text changed"))
    new_ids = {c.id for c in new_hashes.spec.categories} | set(back.values())
    removed = tuple(c.id for c in old_hashes.spec.categories if c.id not in new_ids)
    return Impact(stale_categories=tuple(out), removed_categories=removed, shared_reason=shared,
                  total_categories=len(new_hashes.spec.categories))
