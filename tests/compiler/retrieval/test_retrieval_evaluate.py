"""Evaluation metrics, leave-one-out example sets and threshold calibration."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.retrieval import RetrievalConfig, Retriever
from compiler.retrieval.evaluate import (
    calibrate_threshold,
    evaluate,
    ranks_of,
    report,
    spec_examples,
    split_of,
    standard_methods,
)
from tests.compiler.retrieval.retrieval_helpers import FakeEmbedder, tiny_spec

CATS = ("a", "b", "c", "d", "e", "f")


def test_metrics_on_a_hand_made_case() -> None:
    # true categories rank 1, 2, 4 and 6 in these rows
    scores = np.array([
        [0.9, 0.1, 0.0, 0.0, 0.0, 0.0],   # truth a -> rank 1
        [0.9, 0.8, 0.0, 0.0, 0.0, 0.0],   # truth b -> rank 2 (a first)
        [0.9, 0.8, 0.7, 0.6, 0.0, 0.0],   # truth d -> rank 4 (a first)
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.0],   # truth f -> rank 6 (e first)
    ], dtype=np.float32)
    truth = ["a", "b", "d", "f"]
    assert ranks_of(scores, np.array([0, 1, 3, 5])).tolist() == [1, 2, 4, 6]
    result = report("m", scores, truth, CATS)
    o = result.overall
    assert (o.n, o.top1, o.top3, o.top5) == (4, 0.25, 0.5, 0.75)
    assert o.mrr == pytest.approx((1 + 1 / 2 + 1 / 4 + 1 / 6) / 4)
    assert result.per_category["b"].top1 == 0.0 and result.per_category["b"].top3 == 1.0
    assert set(result.per_category) == {"a", "b", "d", "f"}
    assert [(c.true, c.predicted, c.count) for c in result.confusions] == [("b", "a", 1), ("d", "a", 1),
                                                                          ("f", "e", 1)]


def test_ties_count_against_the_truth() -> None:
    scores = np.array([[0.5, 0.5]], dtype=np.float32)
    assert ranks_of(scores, np.array([1])).tolist() == [1]
    assert report("m", scores, ["a"], ("a", "b")).overall.top1 == 1.0


def test_unknown_labelled_category_is_an_error() -> None:
    with pytest.raises(ValueError, match="not in the spec: zzz"):
        report("m", np.zeros((1, 2), dtype=np.float32), ["zzz"], ("a", "b"))


def test_spec_examples_are_leave_one_out_and_split() -> None:
    spec = tiny_spec()
    rows = spec_examples(spec)
    assert [r.category for r in rows] == ["locks", "cooking", "garden"]
    assert all(len(r.hide) == 1 and r.hide[0].startswith(r.category + ":") for r in rows)
    halves = spec_examples(spec, "tune") + spec_examples(spec, "report")
    assert sorted(r.prompt for r in halves) == sorted(r.prompt for r in rows)
    assert split_of("some title") == split_of("some title")


def test_evaluate_reports_every_method_and_leave_one_out_matters() -> None:
    spec = tiny_spec()
    retriever = Retriever.from_spec(spec, FakeEmbedder(), RetrievalConfig())
    rows = spec_examples(spec)
    reports = evaluate(retriever, rows, standard_methods(retriever.config))
    assert [r.method for r in reports] == ["bm25", "dense", "fused-rrf", "default"]
    leaky = [row.model_copy(update={"hide": ()}) for row in rows]
    dense_leaky = evaluate(retriever, leaky, {"dense": RetrievalConfig(method="dense")})[0]
    assert dense_leaky.overall.top1 == 1.0  # the example finds itself when it is not hidden


@pytest.mark.parametrize(("inside", "outside", "expected"), [
    ([0.5, 0.6, 0.7, 0.8], [0.1, 0.2, 0.3], 0.5),
    ([0.4, 0.6, 0.7], [0.1, 0.45, 0.2], 0.4),  # a tie: the lowest cut flags the fewest prompts
])
def test_calibrate_threshold_balances_both_sides(inside: list[float], outside: list[float],
                                                 expected: float) -> None:
    assert calibrate_threshold(inside, outside) == pytest.approx(expected)


def test_calibrate_threshold_without_out_of_scope_keeps_a_share() -> None:
    inside = [i / 100 for i in range(100)]
    assert calibrate_threshold(inside, keep=0.9) == pytest.approx(0.099)
