"""Answer distributions and their weighted summaries, against values worked out on paper and
against the plain definitions on the expanded list of items."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.metrics import distributions as dist

LOG2 = math.log(2)


def test_softmax_of_loglikelihoods():
    assert dist.answer_distribution([0.0, 0.0]) == [0.5, 0.5]
    assert dist.answer_distribution([-1.0]) == [1.0]
    p = dist.answer_distribution([math.log(3), 0.0])  # odds 3 : 1
    assert p == pytest.approx([0.75, 0.25])


def test_answer_takes_the_first_of_tied_maxima():
    assert dist.answer([0.4, 0.4, 0.2]) == 0
    assert dist.answer([0.2, 0.4, 0.4]) == 1


def test_confidence_and_entropy():
    assert dist.confidence([0.5, 0.5]) == 0.5
    assert dist.entropy_nats([0.5, 0.5]) == pytest.approx(LOG2)
    assert dist.entropy_nats([1.0]) == 0.0  # one choice: no uncertainty
    assert dist.entropy_nats([1.0, 0.0, 0.0]) == 0.0  # 0 log 0 = 0
    # -(0.75 ln 0.75 + 0.25 ln 0.25)
    assert dist.entropy_nats([0.75, 0.25]) == pytest.approx(0.562335, abs=1e-6)


def test_jensen_shannon_in_bits():
    assert dist.js_divergence([0.3, 0.7], [0.3, 0.7]) == 0.0
    assert dist.js_divergence([1.0], [1.0]) == 0.0
    assert dist.js_divergence([1.0, 0.0], [0.0, 1.0]) == pytest.approx(1.0)
    # m = (0.75, 0.25): KL(p||m) = log2(4/3) = 0.415037, KL(q||m) = 0.5 log2(2/3) + 0.5 = 0.207519
    assert dist.js_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(0.311278, abs=1e-6)
    assert dist.js_divergence([0.5, 0.5], [1.0, 0.0]) == pytest.approx(0.311278, abs=1e-6)
    with pytest.raises(ValueError, match="2 and 3 answers"):
        dist.js_divergence([0.5, 0.5], [0.2, 0.3, 0.5])


ONE = np.ones((1, 4))
CONF = np.array([0.9, 0.8, 0.6, 0.55])
CORRECT = np.array([1.0, 1.0, 0.0, 1.0])


def test_calibration_error_on_paper():
    # Two bins by confidence: {0.55 right, 0.6 wrong} and {0.8 right, 0.9 right}:
    # 2/4 * |0.575 - 0.5| + 2/4 * |0.85 - 1| = 0.0375 + 0.075
    assert dist.calibration_error(CONF, CORRECT, ONE, 2)[0] == pytest.approx(0.1125)
    # One bin: |mean confidence 0.7125 - accuracy 0.75|
    assert dist.calibration_error(CONF, CORRECT, ONE, 1)[0] == pytest.approx(0.0375)
    # More bins than items: every item its own bin, mean |confidence - correct|
    expected = np.mean(np.abs(CONF - CORRECT))
    assert dist.calibration_error(CONF, CORRECT, ONE, 10)[0] == pytest.approx(expected)


def test_calibration_error_degenerate():
    assert np.isnan(dist.calibration_error(np.array([]), np.array([]), np.ones((1, 0)), 3)[0])
    assert np.isnan(dist.calibration_error(CONF, CORRECT, np.zeros((1, 4)), 3)[0])
    # Perfectly calibrated in each bin: two items at 0.5, one right and one wrong.
    assert dist.calibration_error(np.array([0.5, 0.5]), np.array([1.0, 0.0]), np.ones((1, 2)), 1)[0] == 0.0


def test_ties_in_the_sort_key_keep_item_order():
    # Both items at confidence 0.5; with 2 bins the first listed goes to the first bin.
    key = np.array([0.5, 0.5])
    assert dist.mean_in_bin(key, np.array([1.0, 3.0]), np.ones((1, 2)), 2, 0)[0] == 1.0
    assert dist.mean_in_bin(key, np.array([1.0, 3.0]), np.ones((1, 2)), 2, 1)[0] == 3.0


def test_thirds_on_paper():
    key = np.array([0.9, 0.3, 0.5, 0.4, 0.8, 0.6])  # sorted: 0.3 0.4 | 0.5 0.6 | 0.8 0.9
    values = np.array([1.0, 10.0, 20.0, 30.0, 2.0, 40.0])
    means = [dist.mean_in_bin(key, values, np.ones((1, 6)), 3, k)[0] for k in range(3)]
    assert means == [20.0, 30.0, 1.5]
    # Five items: array_split gives 2, 2, 1.
    means = [dist.mean_in_bin(key[:5], values[:5], np.ones((1, 5)), 3, k)[0] for k in range(3)]
    assert means == [20.0, 11.0, 1.0]
    # Two items: the last third is empty.
    assert np.isnan(dist.mean_in_bin(key[:2], values[:2], np.ones((1, 2)), 3, 2)[0])


def _expanded(values, row):
    return np.repeat(values, row.astype(int))


def _ece_plain(conf, correct, bins):
    order = np.argsort(conf, kind="stable")
    parts = [p for p in np.array_split(order, bins) if len(p)]
    return sum(len(p) / len(conf) * abs(conf[p].mean() - correct[p].mean()) for p in parts)


@pytest.mark.parametrize("bins", [1, 2, 3, 7, 10])
def test_weights_equal_the_expanded_list(bins):
    rng = np.random.default_rng(bins)
    n = 9
    conf = rng.choice([0.4, 0.5, 0.6, 0.7, 0.9], size=n)  # ties on purpose
    correct = rng.integers(0, 2, size=n).astype(float)
    weights = rng.integers(0, 4, size=(30, n)).astype(float)
    ece = dist.calibration_error(conf, correct, weights, bins)
    p90 = dist.quantile(correct + conf, weights, 0.9)
    low = dist.mean_in_bin(conf, correct, weights, 3, 0)
    for row, e, q, m in zip(weights, ece, p90, low):
        c, k = _expanded(conf, row), _expanded(correct, row)
        if len(c) == 0:
            assert np.isnan(e) and np.isnan(q) and np.isnan(m)
            continue
        assert e == pytest.approx(_ece_plain(c, k, bins), abs=1e-12)
        assert q == np.quantile(k + c, 0.9, method="inverted_cdf")
        first = np.array_split(np.argsort(c, kind="stable"), 3)[0]
        assert (m == pytest.approx(k[first].mean(), abs=1e-12)) if len(first) else np.isnan(m)


def test_quantile_on_paper():
    values = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    assert dist.quantile(values, np.ones((1, 10)), 0.9)[0] == 0.8  # 9th of 10
    assert dist.quantile(values[:1], np.ones((1, 1)), 0.9)[0] == 0.0
