"""Answer distributions of multiple-choice items, and summaries of them over example weights.

Per item: p = softmax of the per-choice log-likelihoods; its confidence max p, the gold
answer's probability, the entropy (nats), the answer argmax p (the first of tied maxima, as
numpy and lm-evaluation-harness take it; none where p is not finite), and against a reference distribution q (the
baseline's) the Jensen-Shannon divergence in bits (0 for equal distributions, at most 1) and
whether the answer flipped.

Summaries over weights (see `weighted`): equal-mass bins are the bins of
`numpy.array_split` over the items sorted by a key (stable, so ties keep item order), taken
on the list in which each item appears as often as its weight says. An item repeated across
a bin boundary is split between the bins, exactly as its copies would be.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from engine.metrics.weighted import Weights, ratio


# scipy is imported where used: its stats module alone takes most of a second to import,
# and listing or validating metrics needs none of it.
def answer_distribution(loglikelihoods: Sequence[float]) -> list[float]:
    from scipy.special import softmax

    return softmax(np.asarray(loglikelihoods, dtype=float)).tolist()


def answer(scores: Sequence[float]) -> int | None:
    """The highest-scoring choice; None if a score is not finite (numpy's argmax would take
    a NaN as the maximum, and a broken model would get an answer)."""
    values = np.asarray(scores, dtype=float)
    return int(np.argmax(values)) if np.isfinite(values).all() else None


def confidence(p: Sequence[float]) -> float:
    return float(np.max(p))


def entropy_nats(p: Sequence[float]) -> float:
    from scipy.stats import entropy

    return float(entropy(p))  # 0 * log 0 counts as 0


def js_divergence(p: Sequence[float], q: Sequence[float]) -> float:
    """Jensen-Shannon divergence in bits; scipy gives its square root, the JS distance."""
    if len(p) != len(q):
        raise ValueError(f"distributions over {len(p)} and {len(q)} answers cannot be compared")
    from scipy.spatial.distance import jensenshannon

    return float(jensenshannon(p, q, base=2) ** 2)


def _cumulative(values: np.ndarray, weights: Weights, order: np.ndarray):
    """For each weight row, the running totals of the expanded sorted list: where each item's
    copies end, and the running sum of `values`; both padded with a leading 0."""
    w = weights[:, order]
    ends = np.concatenate([np.zeros((len(w), 1)), np.cumsum(w, axis=1)], axis=1)
    sums = np.concatenate([np.zeros((len(w), 1)), np.cumsum(w * values[order], axis=1)], axis=1)
    return ends, sums


def _items_ending_by(ends: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Per row, how many items have all their copies before each position (B, K): a row-wise
    searchsorted, done in one call by lifting each row above the previous one."""
    rows, width = ends.shape[0], ends.shape[1] - 1
    lift = (np.arange(rows) * (ends[:, -1].max(initial=0) + 1))[:, None]
    flat = (ends[:, 1:] + lift).ravel()
    found = np.searchsorted(flat, (positions + lift).ravel(), side="right")
    return found.reshape(positions.shape) - np.arange(rows)[:, None] * width


def _prefix_sums(values, ends, sums, order, positions) -> np.ndarray:
    """Sum of `values` over the first `positions` copies of the sorted expanded list (B, K)."""
    full = _items_ending_by(ends, positions)
    rows = np.arange(len(ends))[:, None]
    sorted_values = np.append(values[order], 0.0)  # the padding item past the end
    partial = (positions - ends[rows, full]) * sorted_values[full]
    return sums[rows, full] + partial


def bin_edges(weights: Weights, bins: int) -> np.ndarray:
    """Per row, the boundaries of `numpy.array_split` of the expanded list into `bins` parts:
    the first (N mod bins) parts one longer (B, bins + 1)."""
    total = weights.sum(axis=1)[:, None]
    base, extra = np.floor_divide(total, bins), np.mod(total, bins)
    j = np.arange(bins + 1)[None, :]
    return j * base + np.minimum(j, extra)


def equal_mass_sums(
    key: np.ndarray, columns: Sequence[np.ndarray], weights: Weights, bins: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Items sorted by `key`, split into equal-mass bins: per row and bin the number of copies
    (B, bins) and the sum of each column (B, bins)."""
    order = np.argsort(key, kind="stable")
    edges = bin_edges(weights, bins)
    counts = np.diff(edges, axis=1)
    totals = []
    for values in columns:
        ends, sums = _cumulative(values, weights, order)
        totals.append(np.diff(_prefix_sums(values, ends, sums, order, edges), axis=1))
    return counts, totals


def calibration_error(
    confidences: np.ndarray, correct: np.ndarray, weights: Weights, bins: int
) -> np.ndarray:
    """Expected calibration error with equal-mass bins of the model's own confidence:
    sum over bins of (bin size / N) * |mean confidence - accuracy|; NaN without items."""
    counts, (conf, hits) = equal_mass_sums(confidences, [confidences, correct], weights, bins)
    return ratio(np.abs(conf - hits).sum(axis=1), counts.sum(axis=1))


def mean_in_bin(
    key: np.ndarray, values: np.ndarray, weights: Weights, bins: int, which: int
) -> np.ndarray:
    """Mean of `values` over bin `which` (0: lowest key) of equal-mass bins of `key`; NaN
    where that bin is empty."""
    counts, (sums,) = equal_mass_sums(key, [values], weights, bins)
    return ratio(sums[:, which], counts[:, which])


def quantile(values: np.ndarray, weights: Weights, q: float) -> np.ndarray:
    """numpy's `inverted_cdf` quantile of the expanded list (the smallest value with at least
    a share q of copies at or below it); NaN without items."""
    order = np.argsort(values, kind="stable")
    ends, _ = _cumulative(values, weights, order)
    total = ends[:, -1]
    position = np.maximum(np.ceil(total * q) - 1, 0)[:, None]
    item = _items_ending_by(ends, position)[:, 0]
    sorted_values = np.append(values[order], np.nan)
    return np.where(total > 0, sorted_values[np.minimum(item, len(values))], np.nan)
