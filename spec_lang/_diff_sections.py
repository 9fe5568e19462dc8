"""Section matching and the changes to the section tree.

Sections are matched by id; a removed section and an added one are paired as a *rename* when their
word sequences are similar enough (`RENAME_THRESHOLD`), one to one, greedily from the most similar
pair. Parents are compared through the renames, so a child of a renamed parent has not moved.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from spec_lang._diff_model import (
    AttrChange,
    Moved,
    Renamed,
    Reordered,
    Retitled,
    SectionChange,
    SectionChanges,
    SectionRef,
)
from spec_lang._diff_words import example_text, section_text, similarity, word_diff, words
from spec_lang.model import Section, Spec
from spec_lang.versions import normalise_text

RENAME_THRESHOLD = 0.5
"""Least similarity for a removed and an added section to count as one renamed section. On the Model Spec
releases true renames score 0.54-0.83 and the best unrelated pair 0.25."""


@dataclass(frozen=True)
class SectionMatch:
    """Which old section became which new one."""

    pairs: tuple[tuple[Section, Section], ...]
    """(old, new) for every section in both specs, in new document order."""
    renamed: tuple[Renamed, ...]
    old_to_new: Mapping[str, str]
    """Old id -> new id for every matched section."""

    def new_id(self, old_id: str | None) -> str | None:
        """The new id of an old section (itself when it was removed)."""
        return None if old_id is None else self.old_to_new.get(old_id, old_id)


def content_words(section: Section) -> list[str]:
    """The words of a section's title, text, rules and examples: what a rename keeps."""
    parts = [section.title, section_text(section)]
    parts += [r.text for r in section.rules]
    parts += [e.title + "\n\n" + example_text(e) for e in section.examples]
    return words("\n\n".join(parts))


def match_sections(old: Spec, new: Spec) -> SectionMatch:
    """Pair sections by id, then pair leftovers as renames by content similarity."""
    old_ids = {s.id for s in old.sections}
    new_ids = {s.id for s in new.sections}
    removed = [s for s in old.sections if s.id not in new_ids]
    added = [s for s in new.sections if s.id not in old_ids]
    renamed = _renames(removed, added)
    old_to_new = {s.id: s.id for s in old.sections if s.id in new_ids}
    old_to_new.update({r.from_: r.to for r in renamed})
    by_new = {v: k for k, v in old_to_new.items()}
    pairs = tuple((old.section(by_new[s.id]), s) for s in new.sections if s.id in by_new)
    return SectionMatch(pairs=pairs, renamed=renamed, old_to_new=old_to_new)


def _renames(removed: list[Section], added: list[Section]) -> tuple[Renamed, ...]:
    if not removed or not added:
        return ()
    new_words = [content_words(s) for s in added]
    new_bags = [Counter(w) for w in new_words]
    scored: list[tuple[float, int, int]] = []
    for i, old_section in enumerate(removed):
        mine = content_words(old_section)
        bag = Counter(mine)
        for j, theirs in enumerate(new_words):
            score = similarity(mine, theirs, RENAME_THRESHOLD, (bag, new_bags[j]))
            if score >= RENAME_THRESHOLD:
                scored.append((score, i, j))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_old: set[int] = set()
    used_new: set[int] = set()
    out: list[Renamed] = []
    for score, i, j in scored:
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        out.append(Renamed(from_=removed[i].id, to=added[j].id, similarity=round(score, 3),
                           old_title=removed[i].title, new_title=added[j].title))
    order = {s.id: n for n, s in enumerate(added)}
    return tuple(sorted(out, key=lambda r: order[r.to]))


def _ref(section: Section) -> SectionRef:
    return SectionRef(id=section.id, title=section.title, parent=section.parent, kind=section.kind)


def _attr_changes(old: Section, new: Section) -> list[AttrChange]:
    out = [AttrChange(id=new.id, key=k, old=old.attrs.get(k), new=new.attrs.get(k))
           for k in sorted(set(old.attrs) | set(new.attrs)) if old.attrs.get(k) != new.attrs.get(k)]
    if old.kind != new.kind and "kind" not in {c.key for c in out}:
        out.append(AttrChange(id=new.id, key="kind", old=old.kind, new=new.kind))
    if old.level != new.level:
        out.append(AttrChange(id=new.id, key="level", old=str(old.level), new=str(new.level)))
    return out


def _text_change(old: Section, new: Section) -> SectionChange | None:
    before, after = section_text(old), section_text(new)
    if normalise_text(before) == normalise_text(after):
        return None
    old_id = old.id if old.id != new.id else None
    chunks, ratio = word_diff(before, after)
    return SectionChange(id=new.id, old_id=old_id, similarity=ratio, diff=chunks)


def _reordered(old: Spec, new: Spec, match: SectionMatch, moved: set[str]) -> list[Reordered]:
    """Siblings (same parent before and after) out of their old relative order: the complement of a
    longest increasing subsequence of old positions, per parent."""
    old_pos = {s.id: n for n, s in enumerate(old.sections)}
    by_new = {n.id: o.id for o, n in match.pairs}
    siblings: dict[str | None, list[str]] = {}
    for s in new.sections:
        if s.id in by_new and s.id not in moved:
            siblings.setdefault(s.parent, []).append(s.id)
    out: list[Reordered] = []
    for parent, kids in siblings.items():
        keep = _increasing([old_pos[by_new[k]] for k in kids])
        out.extend(Reordered(id=k, parent=parent) for n, k in enumerate(kids) if n not in keep)
    return out


def _increasing(values: list[int]) -> set[int]:
    """Indices of one longest strictly increasing subsequence of `values`."""
    tails: list[int] = []
    tail_idx: list[int] = []
    prev = [-1] * len(values)
    for i, v in enumerate(values):
        k = bisect_left(tails, v)
        if k == len(tails):
            tails.append(v)
            tail_idx.append(i)
        else:
            tails[k], tail_idx[k] = v, i
        prev[i] = tail_idx[k - 1] if k else -1
    out: set[int] = set()
    i = tail_idx[-1] if tail_idx else -1
    while i >= 0:
        out.add(i)
        i = prev[i]
    return out


def section_changes(old: Spec, new: Spec, match: SectionMatch) -> SectionChanges:
    """Added, removed, renamed, retitled, moved, re-attributed, reworded and reordered sections."""
    matched_old = set(match.old_to_new)
    matched_new = {n.id for _, n in match.pairs}
    retitled, moved, attrs, changed = [], [], [], []
    for o, n in match.pairs:
        if o.id == n.id and normalise_text(o.title) != normalise_text(n.title):
            retitled.append(Retitled(id=n.id, old=o.title, new=n.title))
        if match.new_id(o.parent) != n.parent:
            moved.append(Moved(id=n.id, old_id=o.id if o.id != n.id else None,
                               from_parent=o.parent, to_parent=n.parent))
        attrs.extend(_attr_changes(o, n))
        change = _text_change(o, n)
        if change is not None:
            changed.append(change)
    return SectionChanges(
        added=tuple(_ref(s) for s in new.sections if s.id not in matched_new),
        removed=tuple(_ref(s) for s in old.sections if s.id not in matched_old),
        renamed=match.renamed, retitled=tuple(retitled), moved=tuple(moved), attrs_changed=tuple(attrs),
        changed=tuple(changed), reordered=tuple(_reordered(old, new, match, {m.id for m in moved})),
    )
