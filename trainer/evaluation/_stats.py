"""Statistics behind every figure in an evaluation: bootstrap intervals, paired deltas, kappa, precision/recall.

Pure functions of their inputs. A row that a metric does not apply to is NaN (e.g. the not-unsafe rate
of a prompt labelled safe) and is left out of that metric, in the point estimate and in every resample.
Intervals are percentile bootstraps drawn from a seeded `numpy.random.Generator`, so the same inputs
and seed give the same interval on every machine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]

DEFAULT_RESAMPLES = 1000
DEFAULT_LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A point estimate with its bootstrap interval, over the `n` rows the statistic applies to."""

    value: float
    low: float
    high: float
    n: int

    def as_json(self, digits: int = 4) -> dict[str, float | int]:
        return {"value": round(self.value, digits), "low": round(self.low, digits),
                "high": round(self.high, digits), "n": self.n}


def as_array(values: Sequence[float | None]) -> Floats:
    """Values as a float array, None as NaN (not applicable)."""
    return np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)


def _resample_means(values: Floats, index: NDArray[np.int64]) -> Floats:
    """The mean of the applicable values of every resample (NaN for a resample with none)."""
    drawn = values[index]
    present = ~np.isnan(drawn)
    counts = present.sum(axis=1)
    sums = np.where(present, drawn, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _percentiles(stats: Floats, level: float) -> tuple[float, float]:
    kept = stats[~np.isnan(stats)]
    if kept.size == 0:
        return math.nan, math.nan
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(kept, [tail, 100.0 - tail])
    return float(low), float(high)


def _index(n: int, resamples: int, seed: int) -> NDArray[np.int64]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, n, size=(resamples, n), dtype=np.int64)


def bootstrap_mean(values: Sequence[float | None], *, resamples: int = DEFAULT_RESAMPLES,
                   level: float = DEFAULT_LEVEL, seed: int = 0) -> Interval | None:
    """The mean of the applicable values with a percentile bootstrap interval; None when none applies.

    Rows are resampled as a whole (the not-applicable ones included), so the interval reflects how
    many rows a metric applies to as well as their values."""
    data = as_array(values)
    applicable = int((~np.isnan(data)).sum())
    if applicable == 0:
        return None
    value = float(np.nanmean(data))
    low, high = _percentiles(_resample_means(data, _index(len(data), resamples, seed)), level)
    return Interval(value=value, low=min(low, value), high=max(high, value), n=applicable)


def paired_delta(first: Sequence[float | None], second: Sequence[float | None], *,
                 resamples: int = DEFAULT_RESAMPLES, level: float = DEFAULT_LEVEL,
                 seed: int = 0) -> Interval | None:
    """mean(first) - mean(second) over the same prompts (position i of both is one prompt), with a paired
    bootstrap interval: each resample draws prompts, and both means are taken over the same draw.

    Only the prompts where both values apply take part; None when there are none."""
    a, b = as_array(first), as_array(second)
    if a.shape != b.shape:
        raise ValueError(f"paired_delta needs values for the same prompts: {a.size} and {b.size} values")
    both = ~np.isnan(a) & ~np.isnan(b)
    a, b = a[both], b[both]
    if a.size == 0:
        return None
    diff = a - b
    value = float(diff.mean())
    resampled = diff[_index(diff.size, resamples, seed)].mean(axis=1)
    low, high = _percentiles(resampled, level)
    return Interval(value=value, low=min(low, value), high=max(high, value), n=int(a.size))


def cohen_kappa(confusion: Mapping[str, Mapping[str, int]]) -> float | None:
    """Cohen's kappa of a confusion matrix (label -> predicted -> count); None when it is undefined
    (no rows, or chance agreement of 1: both raters used one and the same class throughout)."""
    classes = sorted({*confusion, *(p for row in confusion.values() for p in row)})
    total = sum(n for row in confusion.values() for n in row.values())
    if total == 0:
        return None
    observed = sum(confusion.get(c, {}).get(c, 0) for c in classes) / total
    true_share = {c: sum(confusion.get(c, {}).values()) / total for c in classes}
    pred_share = {c: sum(row.get(c, 0) for row in confusion.values()) / total for c in classes}
    chance = sum(true_share[c] * pred_share[c] for c in classes)
    if math.isclose(chance, 1.0):
        return None
    return (observed - chance) / (1.0 - chance)


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1 of one class (None where the denominator is zero)."""

    precision: float | None
    recall: float | None
    f1: float | None
    support: int
    """How many rows truly belong to the class."""

    def as_json(self, digits: int = 4) -> dict[str, float | int | None]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, digits)

        return {"precision": r(self.precision), "recall": r(self.recall), "f1": r(self.f1),
                "support": self.support}


def prf(truth: Sequence[bool], predicted: Sequence[bool]) -> PRF:
    """Precision/recall/F1 of the positive class from paired booleans."""
    if len(truth) != len(predicted):
        raise ValueError(f"prf needs one prediction per row: {len(truth)} labels, {len(predicted)} predictions")
    tp = sum(t and p for t, p in zip(truth, predicted, strict=True))
    fp = sum(p and not t for t, p in zip(truth, predicted, strict=True))
    fn = sum(t and not p for t, p in zip(truth, predicted, strict=True))
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = (2 * precision * recall / (precision + recall)
          if precision is not None and recall is not None and precision + recall > 0 else None)
    if f1 is None and precision is not None and recall is not None:
        f1 = 0.0
    return PRF(precision=precision, recall=recall, f1=f1, support=tp + fn)
