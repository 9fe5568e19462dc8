"""Pooling, fusion and the `Retriever` on the tiny policy with the fake embedder."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.retrieval import RetrievalConfig, Retriever
from compiler.retrieval._fusion import NEG, UnitScores, category_scores, mean_all, pool
from tests.compiler.retrieval.retrieval_helpers import FakeEmbedder, tiny_spec

F = np.float32


def test_pool_means_the_best_units_and_skips_hidden() -> None:
    scores = np.array([[0.9, 0.5, 0.1, 0.4], [NEG, 0.2, 0.3, NEG]], dtype=F)
    unit_category = np.array([0, 0, 0, 1])
    assert pool(scores, unit_category, 2, top=1).tolist() == [[pytest.approx(0.9), pytest.approx(0.4)],
                                                             [pytest.approx(0.3), NEG]]
    assert pool(scores, unit_category, 2, top=2)[0, 0] == pytest.approx(0.7)
    assert pool(scores, unit_category, 2, top=2)[1, 0] == pytest.approx(0.25)


def test_mean_all_averages_visible_units() -> None:
    scores = np.array([[0.9, 0.5, NEG, 0.4]], dtype=F)
    assert mean_all(scores, np.array([0, 0, 0, 1]), 2).tolist() == [[pytest.approx(0.7), pytest.approx(0.4)]]


def test_centroid_weight_prefers_the_category_that_is_about_the_prompt_throughout() -> None:
    units = UnitScores(dense=np.array([[0.8, 0.1, 0.1, 0.7, 0.7, 0.7]], dtype=F), lexical=np.zeros((1, 6), dtype=F))
    cats = np.array([0, 0, 0, 1, 1, 1])
    plain = RetrievalConfig(method="dense", pool_top=1, centroid_weight=0.0)
    mixed = RetrievalConfig(method="dense", pool_top=1, centroid_weight=0.5)
    assert int(category_scores(units, cats, np.ones(6, dtype=F), 2, plain).argmax()) == 0
    assert int(category_scores(units, cats, np.ones(6, dtype=F), 2, mixed).argmax()) == 1


@pytest.mark.parametrize(("method", "fusion", "best"), [
    ("dense", "rrf", 0), ("bm25", "rrf", 1), ("fused", "rrf", 0), ("fused", "linear", 1),
])
def test_methods_rank_as_expected(method: str, fusion: str, best: int) -> None:
    units = UnitScores(dense=np.array([[0.8, 0.7]], dtype=F), lexical=np.array([[1.0, 9.0]], dtype=F))
    config = RetrievalConfig(method=method, fusion=fusion, lexical_weight=0.5, rrf_k=1.0,  # type: ignore[arg-type]
                             centroid_weight=0.0)
    scores = category_scores(units, np.array([0, 1]), np.ones(2, dtype=F), 2, config)
    assert int(scores.argmax()) == best


def test_zero_weight_kinds_are_left_out() -> None:
    units = UnitScores(dense=np.array([[0.9, 0.2]], dtype=F), lexical=np.zeros((1, 2), dtype=F))
    config = RetrievalConfig(method="dense", pool_top=1, centroid_weight=0.0)
    scores = category_scores(units, np.array([0, 1]), np.array([0.0, 1.0], dtype=F), 2, config)
    assert scores[0, 0] == NEG and scores[0, 1] == pytest.approx(0.2)


@pytest.fixture
def retriever() -> Retriever:
    return Retriever.from_spec(tiny_spec(), FakeEmbedder(), RetrievalConfig(threshold=0.2))


@pytest.mark.parametrize(("prompt", "category"), [
    ("how do I pick a lock", "locks"),
    ("oil fire in the kitchen pan", "cooking"),
    ("my roses need watering, how often?", "garden"),
])
def test_retrieve_ranks_the_governing_category_first(retriever: Retriever, prompt: str, category: str) -> None:
    [result] = retriever.retrieve([prompt], top_k=2)
    assert result.categories[0].id == category
    assert len(result.categories) == 2 and result.categories[0].score >= result.categories[1].score
    assert not result.uncategorised


def test_unrelated_prompt_is_uncategorised(retriever: Retriever) -> None:
    [result] = retriever.retrieve(["quantum chromodynamics lecture notes"], top_k=3)
    assert result.uncategorised and result.similarity < 0.2
    assert len(result.categories) == 3  # still ranked, only flagged


def test_batch_is_embedded_in_one_call(retriever: Retriever) -> None:
    fake = retriever.embedder
    assert isinstance(fake, FakeEmbedder)
    before = fake.calls
    results = retriever.retrieve(["pick a lock", "grease fire", "tomato leaves"] * 50, top_k=1)
    assert fake.calls == before + 1 and len(results) == 150


def test_top_k_is_capped_by_the_number_of_categories(retriever: Retriever) -> None:
    [result] = retriever.retrieve(["pick a lock"], top_k=10)
    assert len(result.categories) == 3


def test_hidden_example_is_not_seen(retriever: Retriever) -> None:
    prompt = "How do I pick the lock on my neighbour's front door while they are away?"
    key = next(u.example for u in retriever.index.meta.units if u.kind == "example" and u.category == "locks")
    assert key is not None
    seen = retriever.unit_scores([prompt])
    hidden = retriever.unit_scores([prompt], hide=[{key}])
    assert seen.dense.max() == pytest.approx(1.0, abs=1e-5)
    assert hidden.dense[~hidden.hidden].max() < 0.99  # type: ignore[operator]
    assert retriever.retrieve([prompt], hide=[{key}])[0].similarity < 0.99


def test_json_line_has_exactly_the_documented_fields(retriever: Retriever) -> None:
    [result] = retriever.retrieve(["pick a lock"], top_k=2)
    data = result.as_json()
    assert list(data) == ["prompt", "categories", "uncategorised"]
    assert all(set(c) == {"id", "score"} for c in data["categories"])  # type: ignore[attr-defined]
