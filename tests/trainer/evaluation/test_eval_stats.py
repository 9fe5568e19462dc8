"""Statistics on hand-made cases with known answers: bootstrap intervals, paired deltas, kappa, precision/recall."""

from __future__ import annotations

import math

import pytest

from trainer.evaluation._stats import bootstrap_mean, cohen_kappa, paired_delta, prf


@pytest.mark.parametrize("values", [[1, 0, 1, 1, 0, 1, 1, 1], [4.5, 3.0, 2.0, 5.0, 1.0], [0.3] * 5, [1.0]])
def test_bootstrap_interval_contains_the_point_estimate(values: list[float]) -> None:
    ci = bootstrap_mean(values, resamples=500, seed=3)
    assert ci is not None
    assert ci.value == pytest.approx(sum(values) / len(values))
    assert ci.low <= ci.value <= ci.high
    assert ci.n == len(values)


def test_bootstrap_is_seeded_and_skips_rows_it_does_not_apply_to() -> None:
    values = [1.0, None, 0.0, 1.0, None, 1.0, 0.0, 1.0]
    a = bootstrap_mean(values, seed=7)
    assert a == bootstrap_mean(values, seed=7)
    assert a is not None and a.n == 6 and a.value == pytest.approx(4 / 6)
    assert bootstrap_mean(values, seed=8) != a  # another seed, other draws
    assert bootstrap_mean([None, None]) is None
    assert bootstrap_mean([]) is None


def test_bootstrap_interval_narrows_with_more_data() -> None:
    small = bootstrap_mean([1, 0] * 10, seed=0)
    large = bootstrap_mean([1, 0] * 500, seed=0)
    assert small is not None and large is not None
    assert (large.high - large.low) < (small.high - small.low) / 3
    # a share of 0.5 over 1000 rows: the 95% interval is about +-3.1 points
    assert large.low == pytest.approx(0.469, abs=0.01) and large.high == pytest.approx(0.531, abs=0.01)


def test_paired_delta_known_answer() -> None:
    first = [5.0, 4.0, 3.0, 5.0, None]
    second = [4.0, 4.0, 2.0, 3.0, 1.0]
    d = paired_delta(first, second, seed=1)
    assert d is not None
    assert d.n == 4  # the prompt the first model left unscored takes no part
    assert d.value == pytest.approx((1 + 0 + 1 + 2) / 4)
    assert d.low <= d.value <= d.high
    assert d.low >= 0.0  # every paired difference is >= 0, so every resampled mean is too


def test_paired_delta_of_identical_models_is_exactly_zero() -> None:
    values = [1.0, 0.0, 1.0, 1.0]
    d = paired_delta(values, values)
    assert d is not None and (d.value, d.low, d.high) == (0.0, 0.0, 0.0)


def test_paired_delta_needs_the_same_prompts() -> None:
    with pytest.raises(ValueError, match="same prompts"):
        paired_delta([1.0, 2.0], [1.0])
    assert paired_delta([None], [1.0]) is None


def test_kappa_on_a_known_confusion_matrix() -> None:
    # The textbook example: 50 items, raters agree on 20 yes and 15 no; p_o = 0.7, p_e = 0.5, kappa = 0.4.
    confusion = {"yes": {"yes": 20, "no": 5}, "no": {"yes": 10, "no": 15}}
    assert cohen_kappa(confusion) == pytest.approx(0.4)


@pytest.mark.parametrize(("confusion", "expected"), [
    ({"a": {"a": 5, "b": 0}, "b": {"a": 0, "b": 5}}, 1.0),          # perfect agreement
    ({"a": {"a": 5, "b": 5}, "b": {"a": 5, "b": 5}}, 0.0),          # chance level
    ({"a": {"a": 0, "b": 5}, "b": {"a": 5, "b": 0}}, -1.0),         # systematic disagreement
    ({"a": {"a": 3}}, None),                                        # one class only: undefined
    ({}, None),
])
def test_kappa_edge_cases(confusion: dict[str, dict[str, int]], expected: float | None) -> None:
    kappa = cohen_kappa(confusion)
    assert kappa == (None if expected is None else pytest.approx(expected))


def test_precision_recall_f1() -> None:
    truth = [True, True, True, False, False, False]
    predicted = [True, True, False, True, False, False]
    stats = prf(truth, predicted)
    assert stats.precision == pytest.approx(2 / 3) and stats.recall == pytest.approx(2 / 3)
    assert stats.f1 == pytest.approx(2 / 3) and stats.support == 3
    none = prf([False, False], [False, False])
    assert none.precision is None and none.recall is None and none.f1 is None
    zero = prf([True, False], [False, True])
    assert zero.precision == 0.0 and zero.recall == 0.0 and zero.f1 == 0.0
    assert math.isclose(prf([True], [True]).f1 or 0, 1.0)
