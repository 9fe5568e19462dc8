"""Evaluation's router: categories for prompts that come without one, by retrieval over the spec the
bundle was compiled from (`trainer.routing`, the one routing every stage shares).

    route = retrieval_router(spec, bundle.categories)      # texts -> one `Route` per text
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from spec_lang.model import Spec
from trainer.routing import RetrieverCategoriser, Route, check_spec_matches

__all__ = ["RouteFn", "check_spec_matches", "first_category", "retrieval_router"]

RouteFn = Callable[[Sequence[str]], list[Route]]
"""Routes prompt texts, one `Route` per text."""


def retrieval_router(spec: Spec, allowed: Sequence[str], *, index_dir: Path | None = None,
                     notify: Callable[[str], None] | None = None) -> RouteFn:
    """A router over `spec`'s categories, limited to `allowed` (the ones the bundle has); nothing loads
    before the first call."""
    from compiler.retrieval import default_index_dir

    categoriser = RetrieverCategoriser(spec, allowed, index_dir=index_dir or default_index_dir(spec, os.environ),
                                       notify=notify)
    return categoriser.categorise


def first_category(route: RouteFn) -> Callable[[Sequence[str]], list[str | None]]:
    """A router that only names the category (for `policy_cases.build_cases`)."""
    return lambda texts: [r.category for r in route(texts)]
