"""Dialect-pair log-perplexities and their gap on hand-made records."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.datasets.base import Example
from engine.metrics import dialect_pairs
from engine.scoring.loglikelihood import LLRequest, LLResult

# Pair 1: a = -6 nats over 2 tokens, b = -4 over 4. Pair 2: a = -3 over 4, b = -2 over 2.
RECORDS = [{"ll_a": -6.0, "n_a": 2, "ll_b": -4.0, "n_b": 4}, {"ll_a": -3.0, "n_a": 4, "ll_b": -2.0, "n_b": 2}]


def test_log_perplexities_pool_tokens_and_the_gap_is_a_minus_b():
    # a: (6 + 3) / (2 + 4) = 1.5 nats per token; b: (4 + 2) / (4 + 2) = 1.0; gap 0.5.
    assert dialect_pairs.log_perplexity_a(RECORDS) == pytest.approx(1.5)
    assert dialect_pairs.log_perplexity_b(RECORDS) == pytest.approx(1.0)
    assert dialect_pairs.log_perplexity_gap(RECORDS) == pytest.approx(0.5)


def test_weights_repeat_pairs():
    # Pair 1 twice, pair 2 once: a = (12 + 3) / (4 + 4) = 15/8, b = (8 + 2) / (8 + 2) = 1.
    weights = np.array([[2.0, 1.0], [0.0, 1.0]])
    # Pair 2 alone: a = 3/4, b = 1, gap -1/4 (variety b is the less likely one there).
    assert dialect_pairs.log_perplexity_gap(RECORDS, weights) == pytest.approx([15 / 8 - 1, -0.25])


def test_a_uniform_loss_leaves_the_gap_and_raises_both():
    worse = [{**r, "ll_a": r["ll_a"] - 0.3 * r["n_a"], "ll_b": r["ll_b"] - 0.3 * r["n_b"]} for r in RECORDS]
    assert dialect_pairs.log_perplexity_gap(worse) == pytest.approx(0.5)
    assert dialect_pairs.log_perplexity_a(worse) == pytest.approx(1.8)
    assert dialect_pairs.log_perplexity_b(worse) == pytest.approx(1.3)
    assert math.isnan(dialect_pairs.log_perplexity_gap(RECORDS, np.zeros((1, 2)))[0])


def test_score_asks_for_each_text_on_its_own(monkeypatch):
    seen = []

    def fake(lm, requests, progress=None):
        seen.extend(requests)
        return [LLResult(-6.0, 2, False), LLResult(-4.0, 4, False)]

    monkeypatch.setattr(dialect_pairs, "loglikelihood", fake)
    fields = {"text_a": "He be working.", "text_b": "He is usually working.", "variety_a": "AAE", "variety_b": "SAE"}
    assert dialect_pairs.score(None, [Example("0", "AAE/SAE", fields)]) == [RECORDS[0]]
    assert seen == [LLRequest("", "He be working."), LLRequest("", "He is usually working.")]


def test_registered_higher_is_worse_without_built_in_data():
    for metric in (dialect_pairs.LOG_PERPLEXITY_GAP, dialect_pairs.LOG_PERPLEXITY_A, dialect_pairs.LOG_PERPLEXITY_B):
        assert metric.direction.kind == "higher_is_worse"
        assert metric.dataset.default_data is False
