"""Is a bundle up to date with its specs and templates? (`delib compile --check`)

Decided from hashes alone, without rendering or tokenizing: a category is stale when its content
hash (`spec_lang.versions.category_hashes`) differs from the manifest's, every category is stale
when a template or the format version changed, and files edited or deleted by hand are reported too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from compiler._manifest import FORMAT_VERSION
from compiler._render import TemplateSet
from compiler.bundle import Bundle, read_bundle
from compiler.errors import BundleError
from compiler.reasoning import ReasoningFormat
from spec_lang.model import Spec
from spec_lang.versions import SpecHashes


@dataclass(frozen=True)
class Staleness:
    """How a bundle differs from what compiling the specs now would write. Empty = up to date."""

    path: str
    unreadable: str | None = None
    """Why the bundle could not be read at all (no manifest, corrupt manifest), else None."""
    format_changed: bool = False
    reasoning: tuple[str, ...] = ()
    """`old -> new` when the bundle asks for another reasoning format than the one wanted (every category)."""
    templates: tuple[str, ...] = ()
    """Templates added, removed or changed since the bundle was compiled."""
    specs: tuple[str, ...] = ()
    """Specs added, removed or at another revision (even when no category changed)."""
    stale: tuple[str, ...] = ()
    """Categories whose content changed."""
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    """Bundle files missing or edited by hand (relative paths)."""

    @property
    def fresh(self) -> bool:
        return not (self.unreadable or self.format_changed or self.reasoning or self.templates or self.specs
                    or self.stale or self.added or self.removed or self.modified)

    def describe(self) -> list[str]:
        """One line per kind of difference, for people."""
        if self.unreadable:
            return [self.unreadable]
        parts = [
            ("bundle format changed", (f"{FORMAT_VERSION}",) if self.format_changed else ()),
            ("reasoning format changed (every category)", self.reasoning),
            ("templates changed (every category)", self.templates),
            ("spec revision changed", self.specs),
            ("stale categories", self.stale),
            ("new categories", self.added),
            ("removed categories", self.removed),
            ("files missing or edited by hand", self.modified),
        ]
        return [f"{label}: {_listing(items)}" for label, items in parts if items]


def _listing(items: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(items[:limit])
    return f"{shown} and {len(items) - limit} more" if len(items) > limit else shown


def _changed_keys(old: dict[str, str], new: dict[str, str]) -> tuple[str, ...]:
    return tuple(sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k)))


def staleness(specs: Sequence[Spec], templates: TemplateSet, previous: Bundle, modified: Sequence[str] = (),
              path: str = "", reasoning: ReasoningFormat | None = None) -> Staleness:
    """Compare a bundle (as read, with its `modified` files) with what the specs would compile to now
    (in the reasoning format `reasoning`; None: the bundle's own)."""
    manifest = previous.manifest
    old_format = manifest.completion_format
    new_format = old_format if reasoning is None else reasoning.completion_format
    hashes = {s.meta.id: SpecHashes(s) for s in specs}
    revisions = {spec_id: h.revision for spec_id, h in hashes.items()}
    old_revisions = {s.id: s.revision for s in manifest.specs}
    current: dict[str, str] = {}
    for spec_hashes in hashes.values():
        current.update(spec_hashes.categories)
    old = {c.id: c.hash for c in manifest.categories}
    return Staleness(
        path=path,
        format_changed=manifest.format_version != FORMAT_VERSION,
        reasoning=(f"{old_format} -> {new_format}",) if old_format != new_format else (),
        templates=_changed_keys(manifest.templates, templates.hashes),
        specs=_changed_keys(old_revisions, revisions),
        stale=tuple(c for c, h in current.items() if c in old and old[c] != h),
        added=tuple(c for c in current if c not in old),
        removed=tuple(c for c in old if c not in current),
        modified=tuple(modified),
    )


def check_bundle(specs: Sequence[Spec], path: str | Path, templates: TemplateSet | None = None,
                 reasoning: ReasoningFormat | None = None) -> Staleness:
    """Whether the bundle at `path` is up to date with `specs` (and `templates`, and the reasoning format
    `reasoning` when given); reads, never writes."""
    try:
        previous, modified = read_bundle(path)
    except BundleError as exc:
        return Staleness(path=str(path), unreadable=exc.message)
    return staleness(specs, templates or TemplateSet(), previous, modified, str(path), reasoning)
