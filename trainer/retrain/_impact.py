"""Which categories a spec change made stale, and why: the pure core of `delib retrain`.

The set comes from content hashes (the run recorded each category's hash; the new bundle has its own);
the reasons from the spec diff's impact function, run on the spec snapshot the run's bundle kept and
the new spec. Without a snapshot (a bundle written by an older delib) the reason says only that the
category's content changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from spec_lang import Spec
from spec_lang.diff import SpecDiff, diff_specs

CategoryStatus = Literal["stale", "added", "unchanged", "removed"]


class CategoryChange(BaseModel):
    """One category of the old or new spec, and what the change means for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(description="Category id.")
    status: CategoryStatus = Field(description="`stale` (content changed), `added`, `unchanged` or `removed`.")
    reason: str | None = Field(None, description="Why it is stale (from the spec diff), or None.")


def category_changes(recorded: Mapping[str, str], current: Mapping[str, str], old_specs: Sequence[Spec] | None,
                     new_specs: Sequence[Spec]) -> tuple[CategoryChange, ...]:
    """Every category of the new bundle (`current`: id -> hash) against the hashes a run recorded, then the
    recorded ones the new spec no longer has. `old_specs` (the run's spec snapshot) give the reasons."""
    reasons: dict[str, str] = {}
    if old_specs is not None:
        old_by_id = {s.meta.id: s for s in old_specs}
        for new in new_specs:
            old = old_by_id.get(new.meta.id)
            if old is not None:
                diff = diff_specs(old, new)
                details = _details(diff, _owners(old), _owners(new))
                reasons |= {c.id: "; ".join([c.reason, *details.get(c.id, [])]) for c in diff.impact.stale_categories}
    out = []
    for cid, digest in current.items():
        if cid not in recorded:
            out.append(CategoryChange(id=cid, status="added", reason=reasons.get(cid, "new category")))
        elif recorded[cid] != digest:
            out.append(CategoryChange(id=cid, status="stale", reason=reasons.get(cid, "its compiled content changed "
                                                                                    "(no spec snapshot to say how)")))
        else:
            out.append(CategoryChange(id=cid, status="unchanged"))
    out += [CategoryChange(id=cid, status="removed", reason="no longer in the spec") for cid in recorded
            if cid not in current]
    return tuple(out)


def _owners(spec: Spec) -> dict[str, str]:
    """Section id -> the id of the category it belongs to."""
    return {section.id: category.id for category in spec.categories for section in spec.subtree(category.id)}


def _details(diff: SpecDiff, old: Mapping[str, str], new: Mapping[str, str]) -> dict[str, list[str]]:
    """Per category: which rules and examples changed, e.g. `rules changed: privacy.c2`."""
    found: dict[str, dict[str, list[str]]] = {}

    def note(owner: str | None, what: str, item: str) -> None:
        if owner is not None:
            found.setdefault(owner, {}).setdefault(what, []).append(item)

    r, e = diff.rules, diff.examples
    for rule in r.changed:
        note(new.get(rule.section), "rules changed", rule.id)
    for added in r.added:
        note(new.get(added.section), "rules added", added.id)
    for removed in r.removed:
        note(old.get(removed.section), "rules removed", removed.id)
    for renamed in r.renamed:
        note(new.get(renamed.section), "rules renamed", f"{renamed.from_} -> {renamed.to}")
    for example in e.changed:
        note(new.get(example.section), "examples changed", repr(example.title))
    for ex in e.added:
        note(new.get(ex.section), "examples added", repr(ex.title))
    for ex in e.removed:
        note(old.get(ex.section), "examples removed", repr(ex.title))
    return {owner: [f"{what}: {', '.join(items[:5])}" + (f" and {len(items) - 5} more" if len(items) > 5 else "")
                    for what, items in kinds.items()] for owner, kinds in found.items()}
