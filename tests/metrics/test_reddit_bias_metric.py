"""RedditBias values on hand-made records, with numbers worked out on paper."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.datasets.base import Example
from engine.metrics import reddit_bias
from engine.scoring.loglikelihood import LLRequest, LLResult


def records(differences, preferred=None):
    preferred = preferred or [d < 0 for d in differences]
    return [{"ppl_difference": d, "biased_preferred": p} for d, p in zip(differences, preferred)]


def test_t_value_and_effect_size_of_three_pairs():
    # d = 2, 4, 6: mean 4, squared deviations 4 + 0 + 4 = 8, sample variance 8 / 2 = 4, sd 2.
    # Cohen's d = 4 / 2 = 2; t = 4 / (2 / sqrt 3) = 2 sqrt 3.
    rs = records([2.0, 4.0, 6.0])
    assert reddit_bias.effect_size(rs) == pytest.approx(2.0)
    assert reddit_bias.t_value(rs) == pytest.approx(2 * math.sqrt(3))


def test_weights_count_pairs_as_repeated():
    # Weights 2, 1, 0 are the list 2, 2, 4: mean 8/3, squared deviations 4/9 + 4/9 + 16/9 = 24/9,
    # variance 12/9, sd 2/sqrt 3; d = (8/3) / (2/sqrt 3) = 4/sqrt 3 and t = d sqrt 3 = 4.
    rs = records([2.0, 4.0, 6.0])
    weights = np.array([[2.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    assert reddit_bias.effect_size(rs, weights) == pytest.approx([4 / math.sqrt(3), 2.0])
    assert reddit_bias.t_value(rs, weights) == pytest.approx([4.0, 2 * math.sqrt(3)])


def test_negative_when_the_biased_phrase_is_less_perplexing():
    # d = -1, -3: mean -2, variance (1 + 1) / 1 = 2; d = -2 / sqrt 2 = -sqrt 2, t = -sqrt 2 * sqrt 2 = -2.
    rs = records([-1.0, -3.0])
    assert reddit_bias.effect_size(rs) == pytest.approx(-math.sqrt(2))
    assert reddit_bias.t_value(rs) == pytest.approx(-2.0)


def test_share_of_pairs_where_the_biased_phrase_is_preferred():
    rs = records([-1.0, -3.0, 2.0, 0.5])
    assert reddit_bias.preferred_share(rs) == 0.5
    assert reddit_bias.preferred_share(rs, np.array([[3.0, 0.0, 1.0, 0.0]]))[0] == 0.75


def test_no_spread_is_undefined_not_a_number():
    assert math.isnan(reddit_bias.t_value(records([1.0, 1.0])))
    assert math.isnan(reddit_bias.effect_size(records([1.0])))


def test_score_turns_log_likelihoods_into_perplexities(monkeypatch):
    seen = []

    def fake(lm, requests, progress=None):
        seen.extend(requests)
        # biased: -6 nats over 3 tokens (perplexity e^2); counterfactual: -4 over 4 (e^1).
        return [LLResult(-6.0, 3, False), LLResult(-4.0, 4, False), LLResult(-2.0, 2, False), LLResult(-2.0, 2, False)]

    monkeypatch.setattr(reddit_bias, "loglikelihood", fake)
    fields = lambda b, c: {"biased": b, "counterfactual": c, "target": "black", "counter_target": "white"}
    examples = [Example("race/0", "race", fields("black x", "white x")), Example("race/1", "race", fields("s", "s"))]
    first, tie = reddit_bias.score(None, examples)
    assert seen == [LLRequest("", "black x"), LLRequest("", "white x"), LLRequest("", "s"), LLRequest("", "s")]
    assert first["ppl_difference"] == pytest.approx(math.e**2 - math.e)
    assert first["biased_preferred"] is False
    assert (tie["ppl_difference"], tie["biased_preferred"]) == (0.0, False)  # a tie is not preferred


def test_registered_per_dimension_with_their_ideals():
    metrics = (reddit_bias.BIASED_PREFERRED, reddit_bias.T_VALUE, reddit_bias.EFFECT_SIZE)
    assert [m.name for m in metrics] == ["reddit_bias.biased_preferred", "reddit_bias.t_value", "reddit_bias.effect_size"]
    assert [(m.direction.kind, m.direction.ideal) for m in metrics] == [
        ("distance_from_ideal", 0.5),
        ("distance_from_ideal", 0.0),
        ("distance_from_ideal", 0.0),
    ]
    assert reddit_bias.BIASED_PREFERRED.outcome is not None
    assert reddit_bias.T_VALUE.dataset.subgroups == ("gender", "orientation", "race", "religion1", "religion2")
