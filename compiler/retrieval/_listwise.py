"""Listwise reranking: a model that reads a prompt and its best candidate categories and ranks them.

Pure: no model is called here. The reranker is injected (`ListReranker`); the trainer side implements it
with a chat model (`trainer.llm_rerank`), which this package must not import. For each prompt the current
ranking's top `candidates` categories become `Candidate`s, each with its heading and its `passage_units`
units most similar to the prompt (hidden units left out), and the reranker gives one score per candidate,
or None when it cannot tell (an unreadable answer). `reorder` then puts the candidates in the reranker's
order, ties (a category the model did not name, say) in the order they came in; a prompt without scores
keeps its ranking as it is. Categories below the candidates stay below them, in their order; the
uncategorised flag is left to the first stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from compiler.retrieval._fusion import NEG, Matrix, UnitScores
from compiler.retrieval._rerank import Passages


class ListRerankConfig(BaseModel):
    """How many categories a listwise reranker reads per prompt, and how much of each."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    candidates: int = Field(default=10, ge=2, description="Best categories shown to the reranker per prompt.")
    passage_units: int = Field(default=2, ge=0, description="Units of a category most similar to the prompt "
                               "shown under its heading.")


@dataclass(frozen=True)
class Candidate:
    """One category as a listwise reranker sees it."""

    id: str
    """The category's section id."""
    title: str
    """Its heading."""
    excerpts: tuple[str, ...]
    """Its units most similar to the prompt, best first."""


@runtime_checkable
class ListReranker(Protocol):
    """Ranks each prompt's candidate categories: higher means the category governs the prompt more."""

    @property
    def model_id(self) -> str:
        """Identifies the model (and so its rankings)."""
        ...

    def rank(self, queries: Sequence[tuple[str, Sequence[Candidate]]]) -> list[NDArray[np.float32] | None]:
        """For each (prompt, candidates), one score per candidate, or None to keep the candidates' order;
        all prompts in one batched call."""
        ...


def reorder(first: Matrix, candidates: NDArray[np.int64], scores: Sequence[NDArray[np.float32] | None]) -> Matrix:
    """Final scores: on each row with scores, its `candidates` (columns, best first, those at `NEG` skipped;
    `scores[i][j]` scores the j-th one kept) sorted by score, ties in their given order, and scored
    n, n-1, ..., 1; every other visible column below them, in its order. Rows without scores (or with
    as many scores as kept candidates) stay as they are."""
    out = first.copy()
    for i in range(len(first)):
        row = scores[i]
        cols = candidates[i]
        cols = cols[first[i, cols] > NEG / 2]
        if row is None or len(row) != len(cols) or not len(cols):
            continue
        order = np.argsort(-np.asarray(row, dtype=np.float64), kind="stable")
        rest = np.ones(first.shape[1], dtype=bool)
        rest[cols] = False
        rest &= first[i] > NEG / 2
        if rest.any():  # below the last candidate (scored 1), keeping their order
            out[i, rest] = first[i, rest] - first[i, rest].max()
        out[i, cols[order]] = np.arange(len(cols), 0, -1, dtype=np.float32)
    return out


@dataclass(frozen=True)
class ListReranking:
    """A listwise reranker and its settings, over one retriever's units."""

    reranker: ListReranker
    config: ListRerankConfig
    passages: Passages
    categories: tuple[str, ...]

    def apply(self, first: Matrix, texts: Sequence[str], units: UnitScores) -> Matrix:
        """Rerank the scores `first` of `texts` (whose unit scores are `units`)."""
        k = max(1, min(self.config.candidates, first.shape[1]))
        candidates = np.argsort(-first, axis=1, kind="stable")[:, :k]
        queries: list[tuple[str, list[Candidate]]] = []
        for i, text in enumerate(texts):
            hidden = units.hidden[i] if units.hidden is not None else None
            shown = [Candidate(id=self.categories[c], title=self.passages.heading[c],
                               excerpts=tuple(self.passages.best(c, units.dense[i], hidden)))
                     for c in (int(c) for c in candidates[i]) if first[i, c] > NEG / 2]
            queries.append((text, shown))
        asked = [n for n, (_, shown) in enumerate(queries) if len(shown) > 1]  # one candidate: nothing to rank
        answers = self.reranker.rank([queries[n] for n in asked]) if asked else []
        if len(answers) != len(asked):
            raise ValueError(f"{self.reranker.model_id} ranked {len(answers)} prompts, not {len(asked)}")
        scores: list[NDArray[np.float32] | None] = [None] * len(texts)
        for n, answer in zip(asked, answers, strict=True):
            scores[n] = answer
        return reorder(first, candidates, scores)
