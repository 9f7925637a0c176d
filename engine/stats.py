"""Paired statistics of a change between two models on the same examples.

Both models answer the same examples, so one bootstrap resample (a draw of examples with
replacement) is applied to both, and the spread of the change reflects only how the two
models' answers differ, not which examples happened to be sampled twice. Resamples are
weight matrices (`engine.metrics.weighted`), drawn in chunks so that memory stays bounded
for large subgroups, from a seed, so every run draws the same resamples.

Intervals are percentile intervals with numpy's `inverted_cdf` quantiles, for which "the
lower end is above t" is "fewer than a share (1 - c) / 2 of the resampled values are at most
t": the bootstrap p-values below, on which verdicts are decided (so that a correction for
multiple comparisons can adjust them), agree with the interval a report shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, Sequence

import numpy as np

Correction = Literal["none", "holm", "bh"]
CORRECTIONS: tuple[Correction, ...] = ("none", "holm", "bh")
_STATSMODELS_METHOD = {"holm": "holm", "bh": "fdr_bh"}
# Below this share of resamples with a defined value, an interval would describe only the
# lucky resamples (e.g. the ones that happened to draw an answered item).
MIN_DEFINED_SHARE = 0.5
# Weight-matrix elements per chunk of resamples: 4M float64 are 32 MB.
CHUNK_ELEMENTS = 4_000_000


def resample_weights(n: int, resamples: int, seed: int):
    """Yield (b, n) matrices of how often each of n examples is drawn, `resamples` rows in
    all; rows are i.i.d. bootstrap draws of n examples with replacement."""
    rng = np.random.default_rng(seed)
    rows = max(1, CHUNK_ELEMENTS // max(n, 1))
    for start in range(0, resamples, rows):
        b = min(rows, resamples - start)
        drawn = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        yield np.bincount(drawn.ravel(), minlength=b * n).reshape(b, n).astype(float)


def bootstrap(
    statistics: Sequence[Callable[[np.ndarray], np.ndarray]], n: int, resamples: int, seed: int
) -> list[np.ndarray]:
    """Each statistic (weights (b, n) -> (b,) values) on the same resamples: (resamples,) each."""
    if n == 0:
        return [np.full(resamples, np.nan) for _ in statistics]
    chunks: list[list[np.ndarray]] = [[] for _ in statistics]
    for weights in resample_weights(n, resamples, seed):
        for out, statistic in zip(chunks, statistics):
            out.append(np.asarray(statistic(weights), dtype=float))
    return [np.concatenate(out) for out in chunks]


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    @property
    def defined(self) -> bool:
        return bool(np.isfinite(self.low) and np.isfinite(self.high))

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


UNDEFINED = Interval(float("nan"), float("nan"))


def defined_share(draws: np.ndarray) -> float:
    return float(np.isfinite(draws).mean()) if len(draws) else 0.0


def percentile_interval(draws: np.ndarray, confidence: float) -> Interval:
    """The central `confidence` interval of the resampled values that are defined."""
    finite = draws[np.isfinite(draws)]
    if defined_share(draws) < MIN_DEFINED_SHARE:
        return UNDEFINED
    tail = (1 - confidence) / 2
    low, high = np.quantile(finite, [tail, 1 - tail], method="inverted_cdf")
    return Interval(float(low), float(high))


def share_at_most(draws: np.ndarray, threshold: float) -> float:
    """Bootstrap p-value against "the worsening exceeds `threshold`": the share of defined
    resampled worsenings that do not exceed it. NaN when too few are defined."""
    finite = draws[np.isfinite(draws)]
    if defined_share(draws) < MIN_DEFINED_SHARE:
        return float("nan")
    return float(np.mean(finite <= threshold))


def share_above(draws: np.ndarray, threshold: float) -> float:
    """Bootstrap p-value against "the worsening is within `threshold`"."""
    at_most = share_at_most(draws, threshold)
    return 1.0 - at_most if np.isfinite(at_most) else float("nan")


@dataclass(frozen=True)
class Flips:
    """How a yes/no judgement per example changed between two models."""

    up: int  # 0 -> 1
    down: int  # 1 -> 0
    p_value: float  # McNemar's exact test: two-sided binomial on the discordant pairs


def mcnemar(baseline: np.ndarray, variant: np.ndarray) -> Flips:
    """Over the examples where both judgements are defined (not NaN)."""
    both = np.isfinite(baseline) & np.isfinite(variant)
    before, after = baseline[both].astype(bool), variant[both].astype(bool)
    up, down = int(np.sum(~before & after)), int(np.sum(before & ~after))
    if up + down == 0:
        return Flips(0, 0, 1.0)
    # statsmodels is imported where used: the spec and the catalog import this module for
    # its types, and statsmodels alone takes most of a second to import.
    from statsmodels.stats.contingency_tables import mcnemar as exact_mcnemar

    table = [[int(np.sum(~before & ~after)), up], [down, int(np.sum(before & after))]]
    return Flips(up, down, float(exact_mcnemar(table, exact=True).pvalue))


def adjust(p_values: Sequence[float], method: Correction) -> list[float]:
    """Holm (family-wise error) or Benjamini-Hochberg (false discovery rate) adjusted
    p-values; NaN entries are left out of the family and stay NaN."""
    values = np.asarray(p_values, dtype=float)
    if method == "none" or not np.isfinite(values).any():
        return values.tolist()
    from statsmodels.stats.multitest import multipletests

    out = values.copy()
    finite = np.isfinite(values)
    out[finite] = multipletests(values[finite], method=_STATSMODELS_METHOD[method])[1]
    return out.tolist()
