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
from functools import cached_property, lru_cache
from typing import Any

from spec_lang.model import Example, Node, Section, Spec

MODEL_SPEC_SHARED = ("levels_of_authority", "chain_of_command", "refusal_style")
"""In Model Spec format, the sections every compiled prompt includes (authority and refusal style)."""

_DASHES = re.compile(r"\s*(?:---|—|–|(?<=\s)--(?=\s))\s*")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})
_QUOTE_PAIRS = (("‘", "'"), ("’", "'"), ("“", '"'), ("”", '"'))
_LIST_MARKER = re.compile(r"^(?:[-*+]|\d+[.)])\s+")
_LIST_MARKERS = re.compile(r"^[^\S\n]*(?:[-*+]|\d+[.)])[^\S\n]+(?=\S)", re.M)
"""`_LIST_MARKER` at the start of every line of a text, in one pass."""
_SPACE = re.compile(r"\s+")


_PLAIN = re.compile(r"[^\s\-—–‘’“”0-9*+]*")
"""Text made only of characters `normalise_text` never rewrites (no space, dash, quote, digit or marker)."""


@lru_cache(maxsize=1 << 16)
def normalise_text(text: str) -> str:
    """Collapse formatting that carries no meaning: wrapping, indentation, list markers, dashes, quotes.

    Cached: a diff normalises the same strings (roles, labels, repeated phrases) many times."""
    if _PLAIN.fullmatch(text):
        return text
    # Equal to: strip each line, rewrite its list marker, join the non-empty lines with spaces, then
    # rewrite dashes and quotes and collapse whitespace (one pass over the whole text instead of per line).
    marked = _LIST_MARKERS.sub("- ", text.strip())
    for curly, straight in _QUOTE_PAIRS:  # `translate(_QUOTES)`, faster on long text
        marked = marked.replace(curly, straight)
    if "—" in marked or "–" in marked or "--" in marked:
        marked = _DASHES.sub(" — ", marked)
    return " ".join(marked.split())  # `_SPACE.sub(" ", ...).strip()`: str.split uses the same whitespace as \s


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return normalise_text(value)
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def _normalise_dump(value: Any) -> Any:
    """`_normalise(_drop_spans(value))` in one walk (what `Node.semantic()` drops: every `span` key)."""
    if isinstance(value, str):
        return normalise_text(value)
    if isinstance(value, dict):
        return {k: _normalise_dump(v) for k, v in value.items() if k != "span"}
    if isinstance(value, list):
        return [_normalise_dump(v) for v in value]
    return value


def normalised(node: Node | dict[str, Any] | list[Any]) -> Any:
    """The node's semantic data with every string normalised."""
    if isinstance(node, Node):
        data = node.model_dump(mode="json")
        if isinstance(node, Spec):
            data.pop("path", None)  # as `Spec.semantic()`: the path is not content
        return _normalise_dump(data)
    return _normalise(node)


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
    return SpecHashes(spec).shared


def category_hashes(spec: Spec) -> dict[str, str]:
    """Category id -> hash of everything its compiled prompt is made from."""
    return dict(SpecHashes(spec).categories)


def stale_categories(old: Spec | SpecHashes, new: Spec | SpecHashes) -> tuple[str, ...]:
    """Categories of `new` whose compiled artifacts built from `old` are out of date (changed or new),
    in `new`'s order. Removed categories are not listed (they have nothing to rebuild)."""
    before = (old if isinstance(old, SpecHashes) else SpecHashes(old)).categories
    after = (new if isinstance(new, SpecHashes) else SpecHashes(new)).categories
    return tuple(cid for cid, h in after.items() if before.get(cid) != h)


_POSITION = ("parent", "level", "refs", "footnotes")


class SpecHashes:
    """Every hash of one spec, computed lazily from a single normalisation of the whole spec.

    Equal to the module's functions (`revision_id`, `section_own`, `example_hash`, `category_hashes`), which
    each normalise what they need; use this when several are wanted, as a diff does.
    """

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    @cached_property
    def data(self) -> dict[str, Any]:
        """`normalised(spec)`."""
        return normalised(self.spec)  # type: ignore[no-any-return]

    @cached_property
    def revision(self) -> str:
        """`revision_id(spec)`."""
        return digest(self.data)

    @cached_property
    def own(self) -> tuple[dict[str, Any], ...]:
        """`section_own` of each section, in document order."""
        return tuple({k: v for k, v in d.items() if k not in _POSITION} for d in self.data["sections"])

    @cached_property
    def section_hashes(self) -> dict[str, str]:
        """Section id -> `section_hash` (the last section wins when ids repeat)."""
        return {s.id: digest(own) for s, own in zip(self.spec.sections, self.own, strict=True)}

    @cached_property
    def example_hashes(self) -> tuple[tuple[str, ...], ...]:
        """`example_hash` of each section's examples, per section in document order."""
        return tuple(tuple(digest(b) for b in d["body"] if b.get("type") == "example") for d in self.data["sections"])

    def _own_of(self, sections: tuple[Section, ...]) -> list[tuple[str, dict[str, Any]]]:
        pos = {id(s): n for n, s in enumerate(self.spec.sections)}
        return [(s.id, self.own[pos[id(s)]]) for s in sections]

    @cached_property
    def shared(self) -> str:
        """`shared_hash(spec)`."""
        return digest({
            "meta": self.data["meta"],
            "shared": self._own_of(shared_sections(self.spec)),
            "summaries": [category_summary(c) for c in self.spec.categories],
        })

    @cached_property
    def categories(self) -> dict[str, str]:
        """`category_hashes(spec)`."""
        return {c.id: digest({"shared": self.shared, "own": self._own_of(self.spec.subtree(c.id))})
                for c in self.spec.categories}
