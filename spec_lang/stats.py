"""Counts and the section table shown by `delib show`."""

from __future__ import annotations

from collections import Counter
from typing import Any

from spec_lang.model import Admonition, Section, Spec


def _admonitions(spec: Spec) -> int:
    blocks = list(spec.preamble) + [b for s in spec.sections for b in s.body]
    return sum(1 for b in blocks if isinstance(b, Admonition))


def spec_stats(spec: Spec) -> dict[str, Any]:
    """The `stats` object of `delib show --json`."""
    by_level = Counter(str(s.level) for s in spec.sections)
    labels = Counter({"GOOD": 0, "BAD": 0, "OK": 0})
    bad_refs = 0
    for ex in spec.examples:
        for cand in ex.candidates:
            if cand.label is not None:
                labels[cand.label.kind] += 1
                bad_refs += cand.label.kind == "BAD" and cand.label.target is not None
    return {
        "sections": len(spec.sections),
        "sections_by_level": dict(sorted(by_level.items())),
        "examples": len(spec.examples),
        "labels": {k: labels[k] for k in ("GOOD", "BAD", "OK")},
        "cross_refs": len(spec.all_refs),
        "bad_refs": bad_refs,
        "footnote_refs": len(spec.all_footnotes),
        "admonitions": _admonitions(spec),
        "rules": len(spec.rules),
    }


def section_row(section: Section) -> dict[str, Any]:
    return {
        "id": section.id,
        "title": section.title,
        "level": section.level,
        "parent": section.parent,
        "kind": section.kind,
        "attrs": dict(section.attrs),
        "rules": len(section.rules),
        "examples": len(section.examples),
        "definitions": len(section.definitions),
        "line": section.span.line if section.span else None,
    }


def show_json(spec: Spec) -> dict[str, Any]:
    """The whole `delib show --json` object."""
    return {
        "path": spec.path,
        "format": spec.format,
        "meta": spec.meta.model_dump(mode="json"),
        "stats": spec_stats(spec),
        "categories": [s.id for s in spec.categories],
        "sections": [section_row(s) for s in spec.sections],
    }
