"""Paired bootstrap, McNemar and multiple-comparison corrections against known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from engine import stats
from engine.metrics import weighted


def test_resample_weights_are_draw_counts_seeded_and_chunked(monkeypatch):
    chunks = list(stats.resample_weights(7, 1000, seed=3))
    weights = np.concatenate(chunks)
    assert weights.shape == (1000, 7)
    assert (weights.sum(axis=1) == 7).all()
    assert np.array_equal(weights, np.concatenate(list(stats.resample_weights(7, 1000, seed=3))))
    assert not np.array_equal(weights, np.concatenate(list(stats.resample_weights(7, 1000, seed=4))))
    # Every example is drawn with probability 1/n per draw.
    assert weights.mean(axis=0) == pytest.approx(np.ones(7), abs=0.1)
    monkeypatch.setattr(stats, "CHUNK_ELEMENTS", 70)
    assert [len(c) for c in stats.resample_weights(7, 25, seed=3)] == [10, 10, 5]


def test_bootstrap_applies_the_same_resamples_to_every_statistic():
    x = np.arange(10.0)
    first, second = stats.bootstrap(
        [lambda w: weighted.mean(x, w), lambda w: weighted.mean(2 * x, w)], 10, 500, seed=1
    )
    assert np.array_equal(second, 2 * first)


def paired_binary(rng, n, p_up, p_down):
    base = rng.random(n) < 0.5
    flip = np.where(base, rng.random(n) < p_down, rng.random(n) < p_up)
    return base.astype(float), np.where(flip, ~base, base).astype(float)


def test_paired_intervals_cover_the_true_change_at_about_the_nominal_rate():
    """300 simulated paired samples (n = 150 yes/no outcomes, the variant flipping 15% of
    the no's and 5% of the yes's: a true change of +0.05); 90% intervals."""
    rng = np.random.default_rng(2026)
    true_change = 0.5 * 0.15 - 0.5 * 0.05
    covered, replications = 0, 300
    for r in range(replications):
        base, variant = paired_binary(rng, 150, 0.15, 0.05)
        b, v = stats.bootstrap(
            [lambda w: weighted.mean(base, w), lambda w: weighted.mean(variant, w)], 150, 1000, seed=r
        )
        interval = stats.percentile_interval(v - b, 0.90)
        covered += interval.low <= true_change <= interval.high
    assert 0.85 <= covered / replications <= 0.95


def test_a_paired_interval_is_narrower_than_comparing_independent_samples():
    rng = np.random.default_rng(0)
    base, variant = paired_binary(rng, 400, 0.05, 0.05)
    b, v = stats.bootstrap(
        [lambda w: weighted.mean(base, w), lambda w: weighted.mean(variant, w)], 400, 2000, seed=0
    )
    paired = stats.percentile_interval(v - b, 0.95).half_width
    unpaired = stats.percentile_interval(v - np.random.default_rng(1).permutation(b), 0.95).half_width
    assert paired < unpaired / 2


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
def test_p_values_agree_with_the_interval_ends(confidence):
    draws = np.round(np.random.default_rng(5).normal(0.02, 0.03, 2000), 3)  # many ties
    alpha = (1 - confidence) / 2
    interval = stats.percentile_interval(draws, confidence)
    for threshold in np.concatenate([np.unique(draws), np.unique(draws) + 1e-4]):
        assert (interval.low > threshold) == (stats.share_at_most(draws, threshold) < alpha)
        # share_above is 1 - share_at_most, so only up to rounding of 1 - alpha.
        assert (interval.high <= threshold) == (stats.share_above(draws, threshold) <= alpha + 1e-12)


def test_an_interval_from_mostly_undefined_resamples_is_undefined():
    draws = np.array([np.nan] * 6 + [0.1] * 4)
    assert not stats.percentile_interval(draws, 0.9).defined
    assert np.isnan(stats.share_at_most(draws, 0.0)) and np.isnan(stats.share_above(draws, 0.0))
    assert stats.percentile_interval(np.array([np.nan, 0.1, 0.2]), 0.5).defined


@pytest.mark.parametrize("up,down", [(0, 0), (1, 0), (5, 1), (3, 3), (12, 2), (0, 9), (40, 25)])
def test_mcnemar_exact_equals_the_binomial_test_on_discordant_pairs(up, down):
    concordant = 7
    base = np.array([0.0] * up + [1.0] * down + [1.0] * concordant + [np.nan])
    variant = np.array([1.0] * up + [0.0] * down + [1.0] * concordant + [0.0])
    flips = stats.mcnemar(base, variant)
    assert (flips.up, flips.down) == (up, down)
    expected = 1.0 if up + down == 0 else binomtest(up, up + down, 0.5).pvalue
    assert flips.p_value == pytest.approx(expected, rel=1e-12)


def test_holm_and_benjamini_hochberg_on_a_hand_worked_example():
    # Sorted: 0.005, 0.01, 0.03, 0.04 (m = 4).
    # Holm: 4 x 0.005 = 0.02, 3 x 0.01 = 0.03, 2 x 0.03 = 0.06, max(1 x 0.04, 0.06) = 0.06.
    # BH: 4/1 x 0.005 = 0.02, 4/2 x 0.01 = 0.02, 4/3 x 0.03 = 0.04, 4/4 x 0.04 = 0.04.
    p = [0.01, 0.04, 0.03, float("nan"), 0.005]
    holm = stats.adjust(p, "holm")
    bh = stats.adjust(p, "bh")
    assert holm[:3] + holm[4:] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert bh[:3] + bh[4:] == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert np.isnan(holm[3]) and np.isnan(bh[3])
    assert stats.adjust(p, "none")[:3] == p[:3]
