"""Routing prompts that come without a category, for every stage (generation, evaluation, policy tests).

`RetrieverCategoriser` ranks the categories of the spec the bundle was compiled from with
`compiler.retrieval.Retriever` (built lazily: nothing loads until a prompt needs routing). The bundle
manifest records each spec's id and revision but not its path, so the spec is passed in and checked
against the manifest (`check_spec_matches`, `spec_for_bundle`). A prompt is routed by its last user turn
(`route_text`); a low-confidence result is flagged `uncategorised` (the caller skips it or keeps its best
category).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from compiler.bundle import Bundle
from compiler.prompt_files import last_user_text
from spec_lang.errors import DelibError
from spec_lang.versions import digest, revision_id
from trainer.judging import Message

if TYPE_CHECKING:
    from compiler.retrieval import Embedder, RetrievalConfig, Retriever
    from spec_lang.model import Spec


class RoutingError(DelibError):
    """Prompts cannot be routed (no spec given, or one the bundle was not compiled from)."""


class Route(BaseModel):
    """Where retrieval sends one prompt text."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    category: str | None
    """The best category that the bundle has (None when retrieval found none)."""
    score: float | None
    """The retriever's score for it."""
    uncategorised: bool
    """Retrieval was not confident (best similarity below its threshold) or found no bundle category."""


@runtime_checkable
class Categoriser(Protocol):
    """Routes prompt texts to categories, in one batch."""

    @property
    def categoriser_id(self) -> str:
        """Identifies the routing (spec revision, embedding model, settings): cached routes are reused only
        under the same id. Must be cheap: no model load."""
        ...

    def categorise(self, texts: Sequence[str]) -> list[Route]:
        """One route per text, in order."""
        ...


def unknown_categories(located: Sequence[tuple[str, str | None]], categories: Sequence[str],
                       routable: bool = True) -> tuple[str, str] | None:
    """What every stage says when prompts name a category the bundle lacks: `(message, hint)`, or None when
    every named category exists. `located` pairs where each prompt is (`path:line`) with its category;
    `routable` is False where a prompt cannot go without one (RL: the reward grades by the category's rubric),
    and the hint then does not offer to leave it out."""
    known = set(categories)
    bad = [(where, category) for where, category in located if category is not None and category not in known]
    if not bad:
        return None
    shown = "; ".join(f"{where}: {category!r}" for where, category in bad[:5])
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    fix = ("fix the category, or leave it out to route the prompt by retrieval" if routable else
           "fix the category (every RL prompt needs one: the reward grades by its rubric)")
    return (f"{len(bad)} prompt(s) name a category the bundle does not have ({shown}{more})",
            f"the bundle's categories are {', '.join(categories)}; {fix}")


def route_text(prompt: Sequence[Message]) -> str:
    """The text a prompt is routed by: its last user turn (`compiler.prompt_files.last_user_text`)."""
    return last_user_text(prompt)


def check_spec_matches(spec: Spec, bundle: Bundle, ref: str | None = None) -> None:
    """Raise `RoutingError` unless `spec` is one the bundle was compiled from (same id), at the same revision:
    prompts are never routed with a different text than the judge grades with."""
    ref = ref or spec.path
    entries = {e.id: e for e in bundle.manifest.specs}
    entry = entries.get(spec.meta.id)
    listed = ", ".join(f"{s.id} @ {s.revision}" for s in bundle.manifest.specs) or "no spec"
    if entry is None:
        raise RoutingError(f"{ref}: spec {spec.meta.id!r} is not in the bundle (it holds {listed})",
                           "pass the spec the bundle was compiled from")
    revision = revision_id(spec)
    if revision != entry.revision:
        raise RoutingError(f"{ref}: spec revision {revision} is not one the bundle was compiled from ({listed})",
                           f"pass the spec the bundle was compiled from (PATH@REV for an older commit), or "
                           f"recompile the bundle with `delib compile {ref} -o BUNDLE`")


def spec_for_bundle(ref: str, bundle: Bundle) -> Spec:
    """Load the spec at `ref` (a path or PATH@REV) and check the bundle was compiled from it
    (`check_spec_matches`)."""
    from spec_lang import load

    spec = load(ref).spec  # SpecLoadError says what is wrong with the file
    check_spec_matches(spec, bundle, ref)
    return spec


class RetrieverCategoriser:
    """Routes with `compiler.retrieval.Retriever` over `spec`, keeping only the `allowed` categories (the
    bundle's). The retriever (embedding model and index) is built on the first call; its failures are a
    `RoutingError` that says how to do without it."""

    def __init__(self, spec: Spec, allowed: Sequence[str], *, embedder: Embedder | None = None,
                 config: RetrievalConfig | None = None, index_dir: Path | None = None,
                 notify: Callable[[str], None] | None = None) -> None:
        from compiler.retrieval import RetrievalConfig, SentenceTransformerEmbedder

        self.spec = spec
        self.categories = tuple(c for c in allowed if c in {s.id for s in spec.categories})
        self.embedder = embedder or SentenceTransformerEmbedder()
        self.config = config or RetrievalConfig()
        self.index_dir = index_dir
        self.notify = notify
        self._retriever: Retriever | None = None
        self._id = digest({"revision": revision_id(spec), "embedder": self.embedder.model_id,
                           "config": self.config.model_dump(mode="json"), "categories": self.categories})

    @property
    def categoriser_id(self) -> str:
        return self._id

    def categorise(self, texts: Sequence[str]) -> list[Route]:
        if not texts:
            return []
        from compiler.retrieval import EmbedderError, RetrievalIndexError, Retriever

        try:
            if self._retriever is None:
                self._retriever = Retriever.from_spec(self.spec, self.embedder, self.config,
                                                      index_dir=self.index_dir, notify=self.notify)
            results = self._retriever.retrieve(texts, top_k=len(self._retriever.categories))
        except (EmbedderError, RetrievalIndexError) as exc:
            raise RoutingError(f"cannot route prompts to categories by retrieval: {exc}",
                               "give every prompt a category, or fix the retrieval set-up (`delib index SPEC`)") \
                from exc
        routes = []
        for result in results:
            best = next((c for c in result.categories if c.id in self.categories), None)
            routes.append(Route(category=best.id if best else None, score=best.score if best else None,
                                uncategorised=result.uncategorised or best is None))
        return routes
