"""Categories for prompts that come without one: retrieval over the spec the bundle was compiled from.

A bundle's manifest records each spec's id and revision; the spec itself is passed in (`--spec`) and
checked against that revision, so prompts are never routed with a different text than the judge grades
with. Retrieval (and its embedding model) loads only when a prompt needs it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from compiler.bundle import Bundle
from spec_lang.model import Spec
from trainer.evaluation.errors import EvalError


@dataclass(frozen=True)
class Routed:
    """Where retrieval sends one prompt."""

    category: str | None
    """The best category the bundle can grade, or None when there is none."""
    uncategorised: bool
    """True when no unit of the spec is similar enough: the category is a weak guess."""
    similarity: float


RouteFn = Callable[[Sequence[str]], list[Routed]]
"""Routes prompt texts, one `Routed` per text."""


def check_spec_matches(spec: Spec, bundle: Bundle) -> None:
    """Raise `EvalError` unless `spec` is one the bundle was compiled from, at the same revision."""
    from spec_lang.versions import revision_id

    entries = {e.id: e for e in bundle.manifest.specs}
    entry = entries.get(spec.meta.id)
    if entry is None:
        raise EvalError(f"{spec.path}: spec {spec.meta.id!r} is not in the bundle (it holds "
                        f"{', '.join(entries) or 'no spec'})", "pass the spec the bundle was compiled from")
    revision = revision_id(spec)
    if revision != entry.revision:
        raise EvalError(f"{spec.path} is at revision {revision}, the bundle was compiled from {entry.revision}",
                        f"recompile the bundle (`delib compile {spec.path} -o BUNDLE`) or pass the matching spec")


def retrieval_router(spec: Spec, allowed: Sequence[str], *, index_dir: Path | None = None,
                     notify: Callable[[str], None] | None = None) -> RouteFn:
    """A router over `spec`'s categories, limited to `allowed` (the ones the bundle has). The retriever
    (embedding model and index) is built on the first call."""
    state: dict[str, object] = {}

    def route(texts: Sequence[str]) -> list[Routed]:
        if not texts:
            return []
        import compiler.retrieval as retrieval
        from compiler.retrieval import EmbedderError, RetrievalIndexError, Retriever, default_index_dir

        try:
            retriever = state.get("r")
            if not isinstance(retriever, Retriever):
                folder = index_dir or default_index_dir(spec, os.environ)
                retriever = Retriever.from_spec(spec, retrieval.SentenceTransformerEmbedder(), index_dir=folder,
                                                notify=notify)
                state["r"] = retriever
            results = retriever.retrieve(texts, top_k=len(retriever.categories))
        except (EmbedderError, RetrievalIndexError) as exc:
            raise EvalError(f"cannot route prompts to categories by retrieval: {exc}",
                            "give every prompt a category (see --category-column), or fix the retrieval "
                            "set-up (`delib index SPEC`)") from exc
        keep = set(allowed)
        out = []
        for r in results:
            best = next((c.id for c in r.categories if c.id in keep), None)
            out.append(Routed(category=best, uncategorised=r.uncategorised, similarity=r.similarity))
        return out

    return route


def first_category(route: RouteFn) -> Callable[[Sequence[str]], list[str | None]]:
    """A router that only names the category (for `policy_cases.build_cases`)."""
    return lambda texts: [r.category for r in route(texts)]
