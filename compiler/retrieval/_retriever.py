"""`Retriever`: rank a spec's categories for prompts, in batches.

All queries of a call are embedded in one batched `encode`; dense scores come from one faiss search over
every unit, lexical scores from BM25; both are weighted, pooled per category and fused (`_fusion`). A
retriever made with `reranked` then rescores each prompt's best categories with a cross-encoder (`_rerank`);
one made with `llm_reranked` has a listwise reranker (a chat model) reorder the best of those (`_listwise`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from compiler.retrieval._bm25 import Bm25Scorer
from compiler.retrieval._config import RetrievalConfig
from compiler.retrieval._embedder import Embedder, SentenceTransformerEmbedder
from compiler.retrieval._fusion import NEG, Matrix, UnitScores, best_similarity, category_scores
from compiler.retrieval._index import BuildReport, UnitIndex, open_index
from spec_lang.model import Spec

if TYPE_CHECKING:
    from compiler.retrieval._listwise import ListRerankConfig, ListReranker, ListReranking
    from compiler.retrieval._rerank import RerankConfig, Reranker, Reranking

CHUNK = 512
"""Queries are scored this many at a time (bounds memory at CHUNK x units floats)."""


class CategoryScore(BaseModel):
    """One ranked category for a prompt."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="The category's section id.")
    score: float = Field(description="Its score for the prompt under the configured method (higher is better).")


class RetrievalResult(BaseModel):
    """The categories that govern one prompt, best first."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt: str = Field(description="The prompt as given.")
    categories: tuple[CategoryScore, ...] = Field(description="The top-k categories, best first.")
    uncategorised: bool = Field(description="True when no unit is similar enough (`similarity < threshold`).")
    similarity: float = Field(description="Best cosine similarity between the prompt and any unit.")

    def as_json(self) -> dict[str, object]:
        """The CLI's JSON line: `{"prompt", "categories": [{"id", "score"}], "uncategorised"}`."""
        return {"prompt": self.prompt,
                "categories": [{"id": c.id, "score": round(c.score, 6)} for c in self.categories],
                "uncategorised": self.uncategorised}


class Retriever:
    """Ranks the categories of one spec for prompts. Build with `Retriever.from_spec`."""

    def __init__(self, index: UnitIndex, embedder: Embedder, categories: Sequence[str],
                 config: RetrievalConfig | None = None, report: BuildReport | None = None,
                 reranking: Reranking | None = None, llm_reranking: ListReranking | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.config = config or RetrievalConfig()
        self.categories = tuple(categories)
        self.report = report
        self.reranking = reranking
        self.llm_reranking = llm_reranking
        position = {c: i for i, c in enumerate(self.categories)}
        units = index.meta.units
        self.unit_category = np.array([position[u.category] for u in units], dtype=np.int64)
        self._lexical = Bm25Scorer([u.text for u in units])
        self._example_rows: dict[str, list[int]] = {}
        for row, unit in enumerate(units):
            if unit.example is not None:
                self._example_rows.setdefault(unit.example, []).append(row)

    @classmethod
    def from_spec(cls, spec: Spec, embedder: Embedder | None = None, config: RetrievalConfig | None = None, *,
                  index_dir: Path | None = None, rebuild: bool = False,
                  notify: Callable[[str], None] | None = None) -> Retriever:
        """A retriever over `spec.categories`, loading the index in `index_dir` when it is current and
        (re)building it there otherwise (`index_dir=None`: in memory only)."""
        config = config or RetrievalConfig()
        embedder = embedder or SentenceTransformerEmbedder()
        index, report = open_index(spec, embedder, index_dir, max_words=config.max_words, rebuild=rebuild,
                                   notify=notify)
        return cls(index, embedder, [c.id for c in spec.categories], config, report)

    def reranked(self, reranker: Reranker, config: RerankConfig) -> Retriever:
        """The same retriever, with `reranker` rescoring each prompt's best categories in `retrieve`."""
        from compiler.retrieval._rerank import Passages, Reranking

        passages = Passages(self.index.meta.units, len(self.categories), self.unit_category, config.passage_units)
        return Retriever(self.index, self.embedder, self.categories, self.config, self.report,
                         Reranking(reranker, config, passages), self.llm_reranking)

    def llm_reranked(self, reranker: ListReranker, config: ListRerankConfig | None = None) -> Retriever:
        """The same retriever, with `reranker` reordering each prompt's best categories in `retrieve`, after
        the cross-encoder when there is one."""
        from compiler.retrieval._listwise import ListRerankConfig, ListReranking
        from compiler.retrieval._rerank import Passages

        config = config or ListRerankConfig()
        passages = Passages(self.index.meta.units, len(self.categories), self.unit_category, config.passage_units)
        return Retriever(self.index, self.embedder, self.categories, self.config, self.report, self.reranking,
                         ListReranking(reranker, config, passages, self.categories))

    def kind_weights(self, config: RetrievalConfig | None = None) -> NDArray[np.float32]:
        weights = (config or self.config).kind_weights
        return np.array([weights.get(u.kind, 1.0) for u in self.index.meta.units], dtype=np.float32)

    def unit_scores(self, texts: Sequence[str], hide: Sequence[Collection[str]] | None = None) -> UnitScores:
        """Dense and BM25 scores of every query against every unit. `hide[i]` names examples (keys from
        `example_key`) whose units query `i` must not see: leave-one-out evaluation."""
        n_units = len(self.index.meta.units)
        queries = [self.config.query_prefix + t for t in texts]
        vectors = self.embedder.encode(queries) if queries else np.zeros((0, self.index.meta.dim), np.float32)
        dense = np.full((len(texts), n_units), NEG, dtype=np.float32)
        for start in range(0, len(texts), CHUNK):
            block = np.ascontiguousarray(vectors[start:start + CHUNK], dtype=np.float32)
            sims, rows = self.index.faiss_index.search(block, n_units)
            np.put_along_axis(dense[start:start + len(block)], rows, sims, axis=1)
        lexical = self._lexical.scores(texts)
        hidden = None
        if hide is not None and any(hide):
            hidden = np.zeros((len(texts), n_units), dtype=bool)
            for i, keys in enumerate(hide):
                for key in keys:
                    hidden[i, self._example_rows.get(key, [])] = True
        return UnitScores(dense=dense, lexical=lexical, hidden=hidden)

    def score(self, units: UnitScores, config: RetrievalConfig | None = None) -> Matrix:
        """A (queries, categories) score matrix for `config` (default: the retriever's own)."""
        config = config or self.config
        return category_scores(units, self.unit_category, self.kind_weights(config), len(self.categories),
                               config)

    def retrieve(self, texts: Sequence[str], top_k: int = 5,
                 hide: Sequence[Collection[str]] | None = None) -> list[RetrievalResult]:
        """The `top_k` categories of each text, best first (reranked when the retriever has a reranker), with
        the uncategorised flag (from the first stage's best similarity, reranked or not)."""
        units = self.unit_scores(texts, hide)
        scores = self.score(units)
        if self.reranking is not None:
            scores = self.reranking.apply(scores, texts, units)
        if self.llm_reranking is not None:
            scores = self.llm_reranking.apply(scores, texts, units)
        weights = self.kind_weights()
        visible = UnitScores(dense=np.where(weights[None, :] > 0, units.dense, NEG).astype(np.float32),
                             lexical=units.lexical, hidden=units.hidden)
        similarity = best_similarity(visible)
        k = max(1, min(top_k, len(self.categories)))
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        results = []
        for i, text in enumerate(texts):
            ranked = tuple(CategoryScore(id=self.categories[c], score=float(scores[i, c])) for c in order[i]
                           if scores[i, c] > NEG / 2)
            results.append(RetrievalResult(prompt=text, categories=ranked, similarity=float(similarity[i]),
                                           uncategorised=bool(similarity[i] < self.config.threshold)))
        return results
