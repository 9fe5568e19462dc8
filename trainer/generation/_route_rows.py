"""Giving every prompt row a category: the one the file names, else a route from retrieval (cached).

Routes are remembered in the work folder (`.work/routes.jsonl`, keyed by text and categoriser id), so a
rerun loads no embedding model. Uncategorised rows (retrieval not confident) are skipped with
`skip_uncategorised`, else sent to their best category and flagged, so they can be filtered later:
the judge still grades them against that category's rubric.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from compiler.bundle import Bundle
from trainer.generation._plan import RoutedRow
from trainer.generation._prompts import PromptRow
from trainer.generation._routing import CachedRoute, Categoriser, Route, RoutingError, route_key, route_text
from trainer.generation._worklog import WorkLog
from trainer.routing import unknown_categories


@dataclass
class Routing:
    """The routed rows and what routing did."""

    rows: list[RoutedRow] = field(default_factory=list)
    retrieved: int = 0
    uncategorised: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unrouted: list[PromptRow] = field(default_factory=list)
    """Rows still without a route (dry run: retrieval was not run)."""


def check_categories(rows: Sequence[PromptRow], bundle: Bundle) -> None:
    """Every category a row names exists in the bundle; raises `RoutingError` listing the bad rows."""
    problem = unknown_categories([(r.source, r.category) for r in rows], bundle.categories)
    if problem:
        raise RoutingError(*problem)


def _lookup(rows: Sequence[PromptRow], categoriser: Categoriser | None, cache: WorkLog[CachedRoute],
            run_retrieval: bool) -> dict[str, Route]:
    """Routes by text for the rows without a category: cached ones, then (if allowed) fresh ones."""
    texts = list(dict.fromkeys(route_text(r.prompt) for r in rows if r.category is None))
    if not texts:
        return {}
    if categoriser is None:
        first = next(r.source for r in rows if r.category is None)
        raise RoutingError(f"{sum(r.category is None for r in rows)} prompt(s) have no category (first: {first}); "
                           "give a category column (--category-column) or the spec for retrieval (--spec)")
    ident = categoriser.categoriser_id
    cached = cache.load()
    routes: dict[str, Route] = {t: cached[k] for t in texts if (k := route_key(t, ident)) in cached}
    missing = [t for t in texts if t not in routes]
    if missing and run_retrieval:
        fresh = categoriser.categorise(missing)
        if len(fresh) != len(missing):
            raise RoutingError(f"the categoriser returned {len(fresh)} routes for {len(missing)} prompts")
        pairs = list(zip(missing, fresh, strict=True))
        cache.append(CachedRoute(key=route_key(t, ident), **r.model_dump()) for t, r in pairs)
        routes.update(zip(missing, fresh, strict=True))
    return routes


def route_rows(rows: Sequence[PromptRow], bundle: Bundle, categoriser: Categoriser | None,
               cache: WorkLog[CachedRoute], *, skip_uncategorised: bool, run_retrieval: bool = True) -> Routing:
    """Route every row (see the module docstring). Raises `RoutingError`."""
    check_categories(rows, bundle)
    routes = _lookup(rows, categoriser, cache, run_retrieval)
    out = Routing()
    for row in rows:
        if row.category is not None:
            out.rows.append(RoutedRow(prompt=row.prompt, category=row.category, source=row.source,
                                      expected=row.expected))
            continue
        route = routes.get(route_text(row.prompt))
        if route is None:
            out.unrouted.append(row)
            continue
        if route.uncategorised and (skip_uncategorised or route.category is None):
            out.skipped.append(row.source)
            continue
        if route.uncategorised:
            out.uncategorised.append(row.source)
        out.retrieved += 1
        assert route.category is not None
        out.rows.append(RoutedRow(prompt=row.prompt, category=route.category, source=row.source,
                                  retrieval_score=route.score, uncategorised=route.uncategorised,
                                  expected=row.expected))
    return out
