"""Content-hashed revisions: a spec, each section, each example and each category get a stable hash.

Hashes cover meaning, not formatting: spans are dropped and every string is normalised (whitespace and
line wrapping, list markers, dash and quote styles), so a cosmetic edit changes no hash.

`category_hashes` is the contract between the language, the compiler and the trainer: a category's
hash covers exactly what its compiled `spec(category)` is made from (the shared part every category
includes, plus the category's own subtree), so a changed hash means a stale prompt, rubric, data row
and checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from spec_lang.model import Example, Node, Section, Spec

MODEL_SPEC_SHARED = ("levels_of_authority", "chain_of_command", "refusal_style")
"""In Model Spec format, the sections every compiled prompt includes (authority and refusal style)."""

_DASHES = re.compile(r"\s*(?:---|—|–|(?<=\s)--(?=\s))\s*")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})
_LIST_MARKER = re.compile(r"^(?:[-*+]|\d+[.)])\s+")
_SPACE = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Collapse formatting that carries no meaning: wrapping, indentation, list markers, dashes, quotes."""
    lines = (_LIST_MARKER.sub("- ", line.strip()) for line in text.split("\n"))
    joined = " ".join(line for line in lines if line)
    joined = _DASHES.sub(" — ", joined.translate(_QUOTES))
    return _SPACE.sub(" ", joined).strip()


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return normalise_text(value)
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def normalised(node: Node | dict[str, Any] | list[Any]) -> Any:
    """The node's semantic data with every string normalised."""
    data = node.semantic() if isinstance(node, Node) else node
    return _normalise(data)


def digest(value: Any) -> str:
    """sha256 of canonical JSON, as 16 hex digits (64 bits: collisions are not a practical concern here)."""
    blob = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def section_own(section: Section) -> dict[str, Any]:
    """A section's own content (its body, title, attrs): children are not included. Position (parent,
    level) is not content either, so a moved section keeps its hash."""
    data = normalised(section)
    for key in ("parent", "level", "refs", "footnotes"):
        data.pop(key, None)
    return data  # type: ignore[no-any-return]


def section_hash(section: Section) -> str:
    return digest(section_own(section))


def example_hash(example: Example) -> str:
    return digest(normalised(example))


def revision_id(spec: Spec) -> str:
    """The spec's revision id: a hash of the normalised model (metadata, structure and content)."""
    return digest(normalised(spec))


def in_category(spec: Spec) -> set[str]:
    """Ids of sections that belong to some category's subtree."""
    return {s.id for c in spec.categories for s in spec.subtree(c.id)}


def shared_sections(spec: Spec) -> tuple[Section, ...]:
    """The sections every compiled `spec(category)` includes in full.

    Our dialect: every section outside the categories (overview, styles, guidance, containers' own text).
    Model Spec format: the authority/chain-of-command text and the refusal style (`MODEL_SPEC_SHARED`);
    the rest of that 270 KB document is only summarised.
    """
    if spec.format == "deliberative":
        inside = in_category(spec)
        return tuple(s for s in spec.sections if s.id not in inside)
    return tuple(s for s in spec.sections if s.id in MODEL_SPEC_SHARED)


def category_summary(section: Section) -> dict[str, Any]:
    """What every prompt says about a category: id, title, authority and summary paragraph."""
    return {"id": section.id, "title": normalise_text(section.title),
            "authority": section.attrs.get("authority"), "summary": normalise_text(section.summary)}


def shared_hash(spec: Spec) -> str:
    """Hash of the part of `spec(category)` that is the same for every category."""
    return digest({
        "meta": normalised(spec.meta),
        "shared": [(s.id, section_own(s)) for s in shared_sections(spec)],
        "summaries": [category_summary(c) for c in spec.categories],
    })


def category_hashes(spec: Spec) -> dict[str, str]:
    """Category id -> hash of everything its compiled prompt is made from."""
    shared = shared_hash(spec)
    return {
        c.id: digest({"shared": shared, "own": [(s.id, section_own(s)) for s in spec.subtree(c.id)]})
        for c in spec.categories
    }


def stale_categories(old: Spec, new: Spec) -> tuple[str, ...]:
    """Categories of `new` whose compiled artifacts built from `old` are out of date (changed or new),
    in `new`'s order. Removed categories are not listed (they have nothing to rebuild)."""
    before = category_hashes(old)
    return tuple(cid for cid, h in category_hashes(new).items() if before.get(cid) != h)
