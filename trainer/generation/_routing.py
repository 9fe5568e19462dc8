"""Routing prompts without a category: the `Categoriser` protocol and its retrieval implementation.

`RetrieverCategoriser` ranks the categories of the spec the bundle was compiled from with
`compiler.retrieval.Retriever` (built lazily: nothing loads until a prompt needs routing). The bundle
manifest records each spec's revision but not its path, so the spec is passed in and checked against
the manifest (`spec_for_bundle`). A prompt is routed by its last user turn; a low-confidence result is
flagged `uncategorised` (the caller skips it or keeps its best category).
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


class CachedRoute(Route):
    """A route as remembered in the work folder, keyed by text and categoriser."""

    key: str
    """`route_key(text, categoriser_id)`."""


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


def route_text(prompt: Sequence[Message]) -> str:
    """The text a prompt is routed by: its last user turn (`compiler.prompt_files.last_user_text`)."""
    return last_user_text(prompt)


def route_key(text: str, categoriser_id: str) -> str:
    return digest({"text": text, "categoriser": categoriser_id})


def spec_for_bundle(ref: str, bundle: Bundle) -> Spec:
    """Load the spec at `ref` (a path or PATH@REV) and check the bundle was compiled from this revision."""
    from spec_lang import load

    spec = load(ref).spec  # SpecLoadError says what is wrong with the file
    revision = revision_id(spec)
    compiled = {s.revision: s.id for s in bundle.manifest.specs}
    if revision not in compiled:
        listed = ", ".join(f"{s.id} @ {s.revision}" for s in bundle.manifest.specs)
        raise RoutingError(f"{ref}: spec revision {revision} is not one the bundle was compiled from ({listed}); "
                           f"pass the spec the bundle was compiled from (PATH@REV for an older commit), or "
                           f"recompile the bundle with `delib compile {ref} -o BUNDLE`")
    return spec


class RetrieverCategoriser:
    """Routes with `compiler.retrieval.Retriever` over `spec`, keeping only categories of `bundle`."""

    def __init__(self, spec: Spec, bundle: Bundle, *, embedder: Embedder | None = None,
                 config: RetrievalConfig | None = None, index_dir: Path | None = None,
                 notify: Callable[[str], None] | None = None) -> None:
        from compiler.retrieval import RetrievalConfig, SentenceTransformerEmbedder

        self.spec = spec
        self.categories = tuple(c for c in bundle.categories if c in {s.id for s in spec.categories})
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
        if self._retriever is None:
            from compiler.retrieval import Retriever

            self._retriever = Retriever.from_spec(self.spec, self.embedder, self.config,
                                                  index_dir=self.index_dir, notify=self.notify)
        results = self._retriever.retrieve(texts, top_k=len(self._retriever.categories))
        routes = []
        for result in results:
            best = next((c for c in result.categories if c.id in self.categories), None)
            routes.append(Route(category=best.id if best else None, score=best.score if best else None,
                                uncategorised=result.uncategorised or best is None))
        return routes
