"""Metric values as functions of per-example weights.

A metric's value is written once, over a subgroup's records and a weight matrix of shape
(B, n): row b says how often each of the n examples counts. All-ones rows give the
subgroup's value; rows of bootstrap draw counts give its resampled values, all B in one
vectorised pass. A weight of 2 is exactly the example listed twice, so the value of a
resample is the value of the resampled list of records.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

Record = dict[str, Any]
Weights = np.ndarray  # (B, n) non-negative counts
WeightedValue = Callable[..., np.ndarray]  # (records, weights, **options) -> (B,)


def resamplable(fn: WeightedValue) -> Callable[..., Any]:
    """`value(records)` is the subgroup's value (a float); `value(records, weights)` the
    (B,) array of values under each row of weights. Keyword options (a check's `bins`) are
    passed on to `fn`."""

    @functools.wraps(fn)
    def value(records: Sequence[Record], weights: Weights | None = None, **options: Any):
        if weights is None:
            return float(value(records, np.ones((1, len(records))), **options)[0])
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(fn(records, np.asarray(weights, dtype=float), **options), dtype=float)

    return value


def column(records: Sequence[Record], key: str) -> np.ndarray:
    """One numeric field of every record; None (no judgement possible) becomes NaN."""
    return np.array([np.nan if r[key] is None else r[key] for r in records], dtype=float)


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is zero (nothing to average)."""
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, numerator / safe, np.nan)


def row_sums(values: np.ndarray, weights: Weights) -> np.ndarray:
    """Per row of weights, the weighted sum of values. Each row is summed on its own in one
    fixed order, so a row's sum does not depend on how many rows there are (a matrix
    product's last bits can), and a resample equals the repeated records exactly."""
    return (weights * values).sum(axis=1)


def mean(values: np.ndarray, weights: Weights, where: np.ndarray | None = None) -> np.ndarray:
    """Weighted mean of `values` over the examples selected by `where` (default: all)."""
    selected = np.ones(len(values), dtype=bool) if where is None else where
    return ratio(row_sums(np.where(selected, values, 0.0), weights), row_sums(selected.astype(float), weights))


def group_totals(
    values: np.ndarray, groups: Sequence[str], weights: Weights
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Per group label: the weighted sum of `values` and the weighted count, each (B, G)."""
    labels, inverse = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    onehot = np.zeros((len(groups), len(labels)))
    onehot[np.arange(len(groups)), inverse] = 1.0
    return list(labels), weights @ (onehot * values[:, None]), weights @ onehot


def mean_where(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Row-wise mean of (B, G) values over the entries that are present; NaN if none is."""
    return ratio(np.where(present, values, 0.0).sum(axis=1), present.sum(axis=1).astype(float))


def max_minus_min(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Row-wise range of (B, G) values over the entries that are present; NaN if none is."""
    high = np.where(present, values, -np.inf).max(axis=1, initial=-np.inf)
    low = np.where(present, values, np.inf).min(axis=1, initial=np.inf)
    return np.where(present.any(axis=1), high - low, np.nan)


def mean_range_within(values: np.ndarray, present: np.ndarray, outer: Sequence[str]) -> np.ndarray:
    """Between-group gaps: (B, G) values of inner groups, each belonging to an outer group
    (`outer`, one label per column). Per outer group the range over its present inner groups,
    then the mean over the outer groups with at least two present; NaN if there is none."""
    labels = np.asarray(outer, dtype=str)
    gaps, has_gap = [], []
    for name in sorted(set(labels)):
        mine = labels == name
        gaps.append(max_minus_min(values[:, mine], present[:, mine]))
        has_gap.append(present[:, mine].sum(axis=1) >= 2)
    if not gaps:
        return np.full(len(values), np.nan)
    return mean_where(np.stack(gaps, axis=1), np.stack(has_gap, axis=1))
