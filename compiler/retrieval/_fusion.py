"""From unit scores to category scores: weighting, pooling per category and fusing dense with lexical.

Pure functions of arrays. A query's unit scores (cosine similarities, BM25 scores) are weighted by unit
kind, pooled per category (mean of the best `pool_top` units) and, for the fused method, combined by
reciprocal-rank fusion (or a linear mix of the dense score and the max-normalised BM25 score). The dense
score can add the mean similarity over all of a category's units (`centroid_weight`), which rewards
categories whose whole text is about the prompt over ones with a single lucky unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from compiler.retrieval._config import RetrievalConfig

Matrix = NDArray[np.float32]
NEG = np.float32(-1e9)


@dataclass(frozen=True)
class UnitScores:
    """Per query and per unit: cosine similarity and BM25 score, and which units are hidden (leave-one-out)."""

    dense: Matrix
    lexical: Matrix
    hidden: NDArray[np.bool_] | None = None


def pool(scores: Matrix, unit_category: NDArray[np.int64], n_categories: int, top: int) -> Matrix:
    """Per category, the mean of its `top` best unit scores (fewer when it has fewer). Units scored at or
    below `NEG` (hidden) do not count; a category with no visible unit scores `NEG`."""
    out = np.full((scores.shape[0], n_categories), NEG, dtype=np.float32)
    for c in range(n_categories):
        cols = np.flatnonzero(unit_category == c)
        if not len(cols):
            continue
        block = scores[:, cols]
        m = min(top, len(cols))
        best = -np.sort(-block, axis=1)[:, :m] if m > 1 else block.max(axis=1, keepdims=True)
        visible = best > NEG / 2
        count = visible.sum(axis=1)
        total = np.where(visible, best, 0.0).sum(axis=1)
        out[:, c] = np.where(count > 0, total / np.maximum(count, 1), NEG)
    return out


def mean_all(scores: Matrix, unit_category: NDArray[np.int64], n_categories: int) -> Matrix:
    """Per category, the mean score of all its visible units (a centroid-like, whole-category score)."""
    visible = scores > NEG / 2
    values = np.where(visible, scores, 0.0)
    out = np.zeros((scores.shape[0], n_categories), dtype=np.float32)
    for c in range(n_categories):
        cols = np.flatnonzero(unit_category == c)
        count = visible[:, cols].sum(axis=1)
        out[:, c] = values[:, cols].sum(axis=1) / np.maximum(count, 1)
    return out


def _weighted(scores: Matrix, weights: NDArray[np.float32], hidden: NDArray[np.bool_] | None) -> Matrix:
    out = scores * weights[None, :]
    out = np.where(weights[None, :] > 0, out, NEG)
    if hidden is not None:
        out = np.where(hidden, NEG, out)
    return out.astype(np.float32)


def _ranks(scores: Matrix) -> Matrix:
    """1-based rank of each column within its row (best = 1)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, scores.shape[1] + 1)[None, :].repeat(scores.shape[0], 0), axis=1)
    return ranks.astype(np.float32)


def category_scores(units: UnitScores, unit_category: NDArray[np.int64], kind_weights: NDArray[np.float32],
                    n_categories: int, config: RetrievalConfig) -> Matrix:
    """A (queries, categories) matrix of scores for `config.method`; higher is better."""
    weighted = _weighted(units.dense, kind_weights, units.hidden)
    dense = pool(weighted, unit_category, n_categories, config.pool_top)
    if config.centroid_weight:
        dense = (dense + config.centroid_weight * mean_all(weighted, unit_category, n_categories)).astype(np.float32)
    if config.method == "dense":
        return dense
    lexical = pool(_weighted(units.lexical, kind_weights, units.hidden), unit_category, n_categories,
                   config.lexical_pool_top)
    if config.method == "bm25":
        return lexical
    if config.fusion == "linear":
        top = np.maximum(lexical.max(axis=1, keepdims=True), 1e-6)
        linear: Matrix = (config.dense_weight * dense
                          + config.lexical_weight * np.clip(lexical, 0, None) / top).astype(np.float32)
        return linear
    fused: Matrix = (config.dense_weight / (config.rrf_k + _ranks(dense))
                     + config.lexical_weight / (config.rrf_k + _ranks(lexical))).astype(np.float32)
    return fused


def best_similarity(units: UnitScores) -> NDArray[np.float32]:
    """Per query, the highest cosine similarity to any visible unit: the score the uncategorised
    threshold applies to."""
    dense = units.dense if units.hidden is None else np.where(units.hidden, NEG, units.dense)
    result: NDArray[np.float32] = dense.max(axis=1).astype(np.float32)
    return result
