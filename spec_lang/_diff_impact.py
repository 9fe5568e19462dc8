"""Impact of a change on compiled artifacts: which categories are stale, and why.

The stale set is exactly `versions.stale_categories` (a category is stale when its `category_hashes`
entry changed or is new); this module adds a short reason to each, naming what changed in the part
every category includes (metadata, shared sections, category summaries) and in the category's own subtree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spec_lang._diff_model import Impact, StaleCategory
from spec_lang.model import Spec
from spec_lang.versions import category_summary, digest, normalised, section_own, shared_sections, stale_categories

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


def _own_hashes(spec: Spec) -> dict[str, str]:
    return {s.id: digest(section_own(s)) for s in spec.sections}


def shared_reason(old: Spec, new: Spec, old_own: Mapping[str, str], new_own: Mapping[str, str]) -> str | None:
    """What changed in the part every compiled `spec(category)` includes, or None."""
    parts: list[str] = []
    if normalised(old.meta) != normalised(new.meta):
        parts.append("metadata")
    shared = _keyed_changes([(s.id, old_own[s.id]) for s in shared_sections(old)],
                            [(s.id, new_own[s.id]) for s in shared_sections(new)])
    if shared:
        parts.append(f"shared text ({names(shared)})")
    summaries = _keyed_changes([(c.id, digest(category_summary(c))) for c in old.categories],
                               [(c.id, digest(category_summary(c))) for c in new.categories])
    if summaries:
        parts.append("category list" if summaries == ["order"] else f"summaries of {names(summaries)}")
    return "shared part changed: " + "; ".join(parts) if parts else None


def _own_reason(old: Spec, new: Spec, cid: str, renamed_from: str | None, hashes: tuple[dict[str, str], ...]) -> str:
    old_own, new_own = hashes
    source = renamed_from or cid
    if old.get(source) is None or old.section(source).kind != "category":
        return f"renamed from {renamed_from}" if renamed_from else "new category"
    changed = _keyed_changes([(s.id, old_own[s.id]) for s in old.subtree(source)],
                             [(s.id, new_own[s.id]) for s in new.subtree(cid)])
    prefix = f"renamed from {renamed_from}; " if renamed_from else ""
    return prefix + (f"own text changed ({names(changed)})" if changed else "")


def impact(old: Spec, new: Spec, renames: Mapping[str, str] | None = None) -> Impact:
    """Stale categories of `new` with a reason each; `renames` maps old to new ids of renamed sections."""
    stale = stale_categories(old, new)
    hashes = (_own_hashes(old), _own_hashes(new))
    shared = shared_reason(old, new, *hashes) if stale else None
    back = {v: k for k, v in (renames or {}).items() if k != v}
    out: list[StaleCategory] = []
    for cid in stale:
        reasons = [r for r in (_own_reason(old, new, cid, back.get(cid), hashes), shared) if r]
        out.append(StaleCategory(id=cid, reason="; ".join(reasons) or "compiled text changed"))
    new_ids = {c.id for c in new.categories} | set(back.values())
    removed = tuple(c.id for c in old.categories if c.id not in new_ids)
    return Impact(stale_categories=tuple(out), removed_categories=removed, shared_changed=shared is not None,
                  total_categories=len(new.categories))
