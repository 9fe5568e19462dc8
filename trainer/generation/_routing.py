"""Generation's side of routing: routes remembered in the work folder (`CachedRoute`, keyed by `route_key`).

Routing itself (the `Categoriser` protocol, `RetrieverCategoriser`, the spec-vs-bundle check) is shared
by every stage: `trainer.routing`.
"""

from __future__ import annotations

from spec_lang.versions import digest
from trainer.routing import (
    Categoriser,
    RetrieverCategoriser,
    Route,
    RoutingError,
    check_spec_matches,
    route_text,
    spec_for_bundle,
)

__all__ = ["CachedRoute", "Categoriser", "RetrieverCategoriser", "Route", "RoutingError", "check_spec_matches",
           "route_key", "route_text", "spec_for_bundle"]


class CachedRoute(Route):
    """A route as remembered in the work folder, keyed by text and categoriser."""

    key: str
    """`route_key(text, categoriser_id)`."""


def route_key(text: str, categoriser_id: str) -> str:
    return digest({"text": text, "categoriser": categoriser_id})


