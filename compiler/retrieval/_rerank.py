"""Reranking: a cross-encoder rescores the first stage's best categories for each prompt.

Pure: no model is loaded here (`_reranker` trains and loads the cross-encoder). For each prompt the first
stage's top `candidates` categories are each turned into one passage, the category's heading followed by
its `passage_units` units most similar to the prompt (by the first stage's cosine similarity, hidden units
left out), and a `Reranker` scores every (prompt, passage) pair. The final score of a candidate is its
first-stage score plus `weight` times its reranker score, both standardised over the prompt's candidates;
every other category keeps its first-stage order below them. The uncategorised flag is left to the first
stage's best cosine similarity: reranking only reorders categories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from compiler.retrieval._fusion import NEG, Matrix, UnitScores
from compiler.retrieval._units import Unit


class RerankConfig(BaseModel):
    """How the reranker is trained and applied; the defaults are the tuned ones (see `_reranker`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    candidates: int = Field(default=20, ge=2, description="First-stage categories rescored per prompt.")
    passage_units: int = Field(default=1, ge=0, description="Best-matching units of a category appended to "
                               "its heading to make the passage it is scored by.")
    weight: float = Field(default=0.25, ge=0, description="Weight of the standardised reranker score against "
                          "the standardised first-stage score.")
    negatives: int = Field(default=3, ge=1, description="Training: first-stage hard negatives per query.")
    max_length: int = Field(default=96, ge=16, description="Tokens per (prompt, passage) pair.")
    epochs: float = Field(default=2.0, gt=0, description="Training: passes over the training queries.")
    train_layers: int = Field(default=2, ge=0, description="Training: the top transformer layers trained with "
                              "the head; the embeddings and lower layers stay frozen (a step is about twice as "
                              "fast on CPU).")
    learning_rate: float = Field(default=2e-4, gt=0, description="Training: peak learning rate.")
    batch_size: int = Field(default=8, ge=1, description="Training: queries per batch (each with its "
                            "positive and negatives).")
    example_repeats: int = Field(default=1, ge=1, description="Training: times each example prompt is a query.")
    seed: int = Field(default=0, description="Seed of the head's initialisation, dropout and data order.")
    holdout: tuple[Literal["tune", "report"], ...] = Field(
        default=(), description="Halves of the examples (`split_of`) left out of training, as queries and "
                                "as passage text; () trains on every example.")


@runtime_checkable
class Reranker(Protocol):
    """Scores (query, passage) pairs: higher means the passage's category governs the query more."""

    @property
    def model_id(self) -> str:
        """Identifies the model (and so its scores)."""
        ...

    def score(self, pairs: Sequence[tuple[str, str]]) -> NDArray[np.float32]:
        """One score per pair, in one batched call."""
        ...


class Passages:
    """The text each category is scored by for one query: its heading and its best visible units."""

    def __init__(self, units: Sequence[Unit], n_categories: int, unit_category: NDArray[np.int64],
                 per_passage: int) -> None:
        self.texts = [u.text for u in units]
        self.per_passage = per_passage
        self.heading = [""] * n_categories
        rows: list[list[int]] = [[] for _ in range(n_categories)]
        for row, unit in enumerate(units):
            c = int(unit_category[row])
            if unit.kind == "title" and not self.heading[c]:
                self.heading[c] = unit.text
            else:
                rows[c].append(row)
        self.rows = [np.array(r, dtype=np.int64) for r in rows]

    def best(self, category: int, dense: NDArray[np.float32], hidden: NDArray[np.bool_] | None) -> list[str]:
        """`category`'s `per_passage` units most similar to a query with unit similarities `dense`, best
        first (`hidden` units left out; the heading not among them)."""
        rows = self.rows[category]
        if hidden is not None:
            rows = rows[~hidden[rows]]
        best = rows[np.argsort(-dense[rows], kind="stable")[:self.per_passage]] if len(rows) else rows
        return [self.texts[r] for r in best]

    def text(self, category: int, dense: NDArray[np.float32], hidden: NDArray[np.bool_] | None) -> str:
        """`category`'s passage for a query with unit similarities `dense` (`hidden` units left out)."""
        return "\n".join([self.heading[category], *self.best(category, dense, hidden)])


def standardise(values: NDArray[np.float32]) -> NDArray[np.float32]:
    """Zero mean, unit spread (a constant vector becomes zeros)."""
    spread = float(values.std())
    result: NDArray[np.float32] = ((values - values.mean()) / (spread if spread > 1e-9 else 1.0)).astype(np.float32)
    return result


def combine(first: Matrix, candidates: NDArray[np.int64], reranked: Matrix, weight: float) -> Matrix:
    """Final scores: on each row's `candidates` (columns, best first), the standardised first-stage score plus
    `weight` x the standardised reranker score (`reranked[i, j]` scores the j-th candidate that is not at
    `NEG`); every other column below them, in first-stage order. Columns at `NEG` (no visible unit) stay."""
    out = first.copy()
    for i in range(len(first)):
        cols = candidates[i]
        cols = cols[first[i, cols] > NEG / 2]
        if not len(cols):
            continue
        mixed = standardise(first[i, cols]) + weight * standardise(reranked[i, :len(cols)])
        rest = np.ones(first.shape[1], dtype=bool)
        rest[cols] = False
        rest &= first[i] > NEG / 2
        if rest.any():  # shift the others to end just below the lowest candidate, keeping their order
            out[i, rest] = first[i, rest] - first[i, rest].max() + float(mixed.min()) - 1.0
        out[i, cols] = mixed
    return out


@dataclass(frozen=True)
class Reranking:
    """A reranker and its settings, over one retriever's units."""

    reranker: Reranker
    config: RerankConfig
    passages: Passages

    def apply(self, first: Matrix, texts: Sequence[str], units: UnitScores) -> Matrix:
        """Rerank the first-stage scores `first` of `texts` (whose unit scores are `units`)."""
        candidates, reranked = self.rescore(first, texts, units)
        return combine(first, candidates, reranked, self.config.weight)

    def rescore(self, first: Matrix, texts: Sequence[str],
                units: UnitScores) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """Each text's candidate categories (best first) and the reranker's scores of them, as `combine` takes
        them."""
        k = max(1, min(self.config.candidates, first.shape[1]))
        candidates = np.argsort(-first, axis=1, kind="stable")[:, :k]
        pairs: list[tuple[str, str]] = []
        counts = []
        for i, text in enumerate(texts):
            cols = [int(c) for c in candidates[i] if first[i, c] > NEG / 2]
            hidden = units.hidden[i] if units.hidden is not None else None
            pairs += [(text, self.passages.text(c, units.dense[i], hidden)) for c in cols]
            counts.append(len(cols))
        scores = self.reranker.score(pairs) if pairs else np.zeros(0, dtype=np.float32)
        reranked = np.zeros((len(texts), k), dtype=np.float32)
        start = 0
        for i, n in enumerate(counts):
            reranked[i, :n] = scores[start:start + n]
            start += n
        return candidates, reranked
