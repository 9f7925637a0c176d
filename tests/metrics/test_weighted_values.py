"""Every metric's value over example weights equals its value over the repeated records.

The paired bootstrap relies on it: a resample is a weight row, and its value must be the
value of the resampled list of records. Each registered metric is covered through hand-made
records of its data set, so a new metric without such records fails here.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.metrics import weighted
from engine.metrics.registry import get_metric, metric_names
from tests.metrics import (
    test_bbq_metric,
    test_bold_wiki_metric,
    test_confidence_metrics,
    test_dialect_pairs_metric,
    test_generation_metrics,
    test_holistic_bias_metric,
    test_real_toxicity_prompts_metric,
    test_stereoset_metric,
    test_winogender_metric,
)

H = test_holistic_bias_metric


def _c(category: str, logprob: float | None, tokens: int) -> dict:
    per_token = None if logprob is None else logprob / tokens
    return {"category": category, "logprob": logprob, "baseline_tokens": tokens, "logprob_per_token": per_token}


WINO = test_winogender_metric.RECORDS + [
    test_winogender_metric.rec(c, g, s)
    for c, g, s in [(False, "male", "pro"), (True, "female", "pro"), (True, "male", "anti")]
]
RECORDS_BY_DATASET = {
    "crows_pairs": [{"stereotyped": bool(b)} for b in (1, 0, 1, 1, 0, 0, 1)],
    "bbq": test_bbq_metric.RECORDS,
    "holistic_bias": [H.D1, H.D2, H.D3, H.E1, H.E2, H.descriptor("b", (-7.0, 3))],
    "stereoset": [
        test_stereoset_metric.rec(t, *scores, ll=(-float(i), -2.0 * i, -1.0))
        for i, (t, scores) in enumerate(
            [("a", (-1.0, -2.0, -3.0)), ("a", (-2.0, -1.0, -1.5)), ("b", (-1.0, -1.0, -1.0)),
             ("b", (-0.5, -2.0, -0.1)), ("c", (-3.0, -2.0, -9.0))]
        )
    ],
    "bold_wiki": [
        test_bold_wiki_metric.record("g", ("a", -2.0, 1)),
        test_bold_wiki_metric.record("g", ("a", -4.0, 3)),
        test_bold_wiki_metric.record("g", ("a", -9.0, 2)),
    ],
    "bold_wiki_by_domain": test_bold_wiki_metric.ROUNDS
    + [test_bold_wiki_metric.record("r", ("x", -1.0, 2), ("y", -8.0, 2), ("z", -3.0, 3))],
    "winogender": WINO,
    "winogender_by_answer": WINO,
    "winobias": WINO,
    "bold_prompts": test_generation_metrics.PER_PROMPT,
    "bold_prompts_by_domain": test_generation_metrics.ROUNDS
    + [test_generation_metrics.round_of("q", ("a", 0.3, 0.8), ("b", -0.7, 0.1))],
    "counterfactual": test_generation_metrics.COUNTERFACTUAL,
    "real_toxicity_prompts": test_real_toxicity_prompts_metric.RECORDS
    + [test_real_toxicity_prompts_metric.prompt(0.8, 0.6, 0.95, challenging=True)],
    "honest": [
        {"category": "female", "continuations": [{"hurtful": h} for h in hurts]}
        for hurts in ((1.0, 0.0, 0.0), (0.0, 0.0, 1.0), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0))
    ],
    "discrim_eval": [{"difference": d} for d in (0.4, -1.25, 0.0, 2.5, -0.3)],
    "reddit_bias": [
        {"ppl_difference": d, "biased_preferred": d < 0} for d in (-3.5, 2.0, -0.25, 7.0, -1.0, 0.0)
    ],
    "dialect_pairs": test_dialect_pairs_metric.RECORDS
    + [{"ll_a": -9.0, "n_a": 3, "ll_b": -1.0, "n_b": 5}, {"ll_a": -2.5, "n_a": 1, "ll_b": -7.0, "n_b": 2}],
}
RECORDS_BY_DATASET["stereoset_by_target"] = RECORDS_BY_DATASET["stereoset"]
C = test_confidence_metrics
CONFIDENCE = C.RECORDS + [C.rec([0.2, 0.5, 0.3], 1, [0.2, 0.5, 0.3])] + C.RECORDS
RECORDS_BY_DATASET["multiple_choice"] = [
    {"ll": [-1.0, -2.0], "gold": g, "answer": a, "correct": a == g} for g, a in ((0, 0), (1, 0), (1, 1))
]
BASELINE_CONTINUATIONS = [
    {"domain": "d", "continuations": [_c("a", -3.0, 2), _c("b", None, 0)]},
    {"domain": "d", "continuations": [_c("a", -1.5, 3)]},
    {"domain": "e", "continuations": [_c("c", -8.0, 4), _c("c", -0.5, 1)]},
]


def records_for(name: str) -> list[dict]:
    metric = get_metric(name)
    if metric.reference and metric.example_score is None:
        return CONFIDENCE
    if metric.reference:
        return BASELINE_CONTINUATIONS
    return RECORDS_BY_DATASET[metric.dataset.name]


@pytest.mark.parametrize("name", metric_names())
def test_weights_equal_repeated_records(name):
    metric = get_metric(name)
    of = metric.valued(metric.options(bins=3))  # few bins, so that the records fill them
    records = records_for(name)
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 4, size=(20, len(records))).astype(float)
    counts[0] = 1.0
    values = of(records, counts)
    assert values.shape == (20,)
    for row, value in zip(counts, values):
        repeated = [r for r, k in zip(records, row) for _ in range(int(k))]
        expected = of(repeated)
        if np.isnan(expected):
            assert np.isnan(value), (row, value)
        else:
            assert value == pytest.approx(expected, rel=1e-12, abs=1e-12), row
    assert values[0] == of(records)


@pytest.mark.parametrize("name", metric_names())
def test_value_of_no_records_is_nan(name):
    assert np.isnan(get_metric(name).value([]))


@pytest.mark.parametrize("name", [n for n in metric_names() if get_metric(n).outcome is not None])
def test_outcomes_are_the_yes_no_judgements_the_value_is_a_share_of(name):
    metric = get_metric(name)
    records = records_for(name)
    outcome = metric.outcome(records)
    assert outcome.shape == (len(records),)
    assert set(np.unique(outcome[np.isfinite(outcome)])) <= {0.0, 1.0}


def test_helpers_leave_nothing_to_average_undefined():
    weights = np.array([[0.0, 0.0], [1.0, 3.0]])
    assert np.isnan(weighted.mean(np.array([1.0, 0.0]), weights)[0])
    assert weighted.mean(np.array([1.0, 0.0]), weights)[1] == 0.25
    present = np.array([[False, False], [True, True]])
    values = np.array([[5.0, 1.0], [5.0, 1.0]])
    assert np.isnan(weighted.max_minus_min(values, present)[0])
    assert weighted.max_minus_min(values, present)[1] == 4.0
    assert np.isnan(weighted.mean_where(values, present)[0])
