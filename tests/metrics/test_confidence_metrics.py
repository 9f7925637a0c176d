"""The confidence and distribution-shift metrics on hand-made records, and their score
function's pairing with the baseline."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.datasets.base import Example
from engine.metrics import bbq_confidence, multiple_choice
from engine.metrics.distributions import answer as dist_answer
from engine.metrics.registry import ScoringOptions, get_metric
from engine.scoring.loglikelihood import LLRequest, LLResult


def rec(p, gold, reference_p=None) -> dict:
    q = p if reference_p is None else reference_p
    return {
        "ll": [math.log(x) if x > 0 else -1e9 for x in p],
        "gold": gold,
        "p": list(p),
        "answer": int(np.argmax(p)),
        "reference_p": list(q),
        "reference_answer": int(np.argmax(q)),
    }


# Baseline distributions q and a variant's p on four items, gold answer 0 each time.
# Baseline confidences 0.9, 0.6, 0.5, 0.8; variant answers flip on items 2 and 3.
RECORDS = [
    rec([0.7, 0.3], 0, [0.9, 0.1]),
    rec([0.6, 0.4], 0, [0.6, 0.4]),
    rec([0.4, 0.6], 0, [0.5, 0.5]),
    rec([0.0, 1.0], 0, [0.8, 0.2]),
]


def value(name: str, records=RECORDS) -> float:
    return get_metric(f"bbq.{name}").value(records)


def test_means_on_paper():
    assert value("confidence") == pytest.approx((0.7 + 0.6 + 0.6 + 1.0) / 4)
    assert value("gold_probability") == pytest.approx((0.7 + 0.6 + 0.4 + 0.0) / 4)
    h = lambda *p: -sum(x * math.log(x) for x in p if x > 0)
    expected = (h(0.7, 0.3) + h(0.6, 0.4) + h(0.4, 0.6) + 0.0) / 4
    assert value("entropy") == pytest.approx(expected)
    assert value("flip_rate") == 0.5  # items 2 (tie 0.5/0.5 answers 0) and 3


def test_divergence_on_paper():
    # Item 4: q = (0.8, 0.2), p = (0, 1): m = (0.4, 0.6),
    # KL(q||m) = 0.8 log2 2 + 0.2 log2(1/3), KL(p||m) = log2(1/0.6)
    js4 = 0.5 * (0.8 + 0.2 * math.log2(1 / 3)) + 0.5 * math.log2(1 / 0.6)
    js = [get_metric("bbq.js_divergence").value([r]) for r in RECORDS]
    assert js[1] == 0.0
    assert js[3] == pytest.approx(js4)
    assert value("js_divergence") == pytest.approx(sum(js) / 4)
    assert value("js_divergence_p90") == pytest.approx(max(js))  # ceil(0.9 * 4) = 4th of 4


def test_thirds_split_by_the_baselines_confidence():
    # Baseline confidences 0.9, 0.6, 0.5, 0.8 -> sorted 0.5 0.6 | 0.8 | 0.9 (sizes 2, 1, 1)
    assert value("flip_rate_uncertain") == 0.5  # items 3 and 2: item 3 flipped
    assert value("flip_rate_middle") == 1.0  # item 4
    assert value("flip_rate_confident") == 0.0  # item 1
    assert value("confidence_confident") == pytest.approx(0.7)
    assert value("confidence_uncertain") == pytest.approx((0.6 + 0.6) / 2)


def test_calibration_error_with_the_checks_bins():
    # Own confidences 0.7 (right), 0.6 (right), 0.6 (wrong), 1.0 (wrong); two bins by
    # confidence: {0.6 right, 0.6 wrong} and {0.7 right, 1.0 wrong}:
    # 2/4 |0.6 - 0.5| + 2/4 |0.85 - 0.5| = 0.05 + 0.175
    metric = get_metric("bbq.calibration_error")
    assert metric.subgroup_value(RECORDS, metric.options(bins=2)) == pytest.approx(0.225)
    assert metric.subgroup_value(RECORDS, metric.options(bins=1)) == pytest.approx(abs(0.725 - 0.5))
    assert metric.subgroup_value(RECORDS) == value("calibration_error")  # the default, 10


def test_bins_kept_in_records_of_earlier_runs_are_not_read():
    metric = get_metric("bbq.calibration_error")
    stored = [{**r, "bins": 1} for r in RECORDS]
    assert metric.subgroup_value(stored, metric.options(bins=2)) == pytest.approx(0.225)


def test_the_baseline_against_itself_is_exactly_zero():
    own = [rec(r["reference_p"], 0) for r in RECORDS]
    for name in ("js_divergence", "js_divergence_p90", "flip_rate", "flip_rate_uncertain", "js_divergence_confident"):
        assert value(name, own) == 0.0


def test_degenerate_items():
    single = [rec([1.0], 0), rec([1.0], 0)]
    assert value("confidence", single) == 1.0
    assert value("entropy", single) == 0.0
    assert value("calibration_error", single) == 0.0
    assert value("js_divergence", single) == 0.0
    for name in ("confidence", "js_divergence", "calibration_error", "js_divergence_p90", "flip_rate_middle"):
        assert math.isnan(get_metric(f"bbq.{name}").subgroup_value([]))


def test_directions():
    worse_when_higher = ("entropy", "calibration_error", "js_divergence", "js_divergence_p90", "flip_rate",
                         "flip_rate_uncertain", "js_divergence_confident")
    for name in worse_when_higher:
        assert get_metric(f"bbq.{name}").direction.kind == "higher_is_worse", name
    for name in ("confidence", "gold_probability", "confidence_middle"):
        assert get_metric(f"bbq.{name}").direction.kind == "lower_is_worse", name


def example(i, choices=("a", "b"), answer=0) -> Example:
    return Example(str(i), "g", {"prompt": f"Q{i}\nA:", "choices": list(choices), "answer": answer})


def fake_loglikelihood(monkeypatch, logprobs):
    seen: list[LLRequest] = []

    def fake(lm, requests, progress=None):
        seen.extend(requests)
        return [LLResult(lp, 1, False) for lp in logprobs[: len(requests)]]

    monkeypatch.setattr(multiple_choice, "loglikelihood", fake)
    return seen


def test_score_pairs_each_item_with_the_baselines(monkeypatch):
    seen = fake_loglikelihood(monkeypatch, [math.log(0.25), math.log(0.75), 0.0, 0.0, 0.0])
    examples = [example(0), example(1, ("x", "y", "z"), 2)]
    score = get_metric("multiple_choice.js_divergence").score
    own = score(None, examples, ScoringOptions())
    assert seen[:2] == [LLRequest("Q0\nA:", " a"), LLRequest("Q0\nA:", " b")]
    assert own[0]["p"] == pytest.approx([0.25, 0.75])
    assert own[0]["reference_p"] == own[0]["p"] and own[1]["reference_answer"] == 0
    assert own[1]["p"] == pytest.approx([1 / 3] * 3) and own[1]["gold"] == 2
    baseline = [{**r, "p": [0.5, 0.5]} if i == 0 else r for i, r in enumerate(own)]
    paired = score(None, examples, ScoringOptions(), reference=baseline)
    assert paired[0]["reference_p"] == [0.5, 0.5]
    assert paired[0]["p"] == pytest.approx([0.25, 0.75])


def test_records_do_not_carry_the_checks_bins(monkeypatch):
    fake_loglikelihood(monkeypatch, [0.0, 0.0])
    score = get_metric("multiple_choice.calibration_error").score
    assert "bins" not in score(None, [example(0)], ScoringOptions(bins=4))[0]


def test_multiple_choice_accuracy(monkeypatch):
    fake_loglikelihood(monkeypatch, [-2.0, -1.0, -1.0, -1.0, -3.0])
    records = multiple_choice.score(None, [example(0), example(1, ("x", "y", "z"), 0)], ScoringOptions())
    assert [r["answer"] for r in records] == [1, 0]  # a tie takes the first
    assert get_metric("multiple_choice.accuracy").value(records) == 0.5


def test_bbq_confidence_reads_bbqs_raw_loglikelihoods(monkeypatch):
    def fake(lm, examples, options, progress=None):
        assert options.normalization == "none"
        return [{"ll": [-1.0, -2.0, -3.0], "label": 2}]

    monkeypatch.setattr(bbq_confidence.bbq, "score", fake)
    (record,) = get_metric("bbq.confidence").score(None, ["item"], ScoringOptions("per_byte"))
    assert record["gold"] == 2 and record["ll"] == [-1.0, -2.0, -3.0]


def test_a_non_finite_distribution_fails_instead_of_answering():
    # numpy's argmax takes NaN as the maximum: a broken model would get answer 0 and, against
    # a baseline answering 0, no flip at all.
    nan = rec([0.5, 0.5], 0)
    nan.update(p=[math.nan, math.nan], answer=None)
    assert math.isnan(value("flip_rate", [nan, RECORDS[1]]))
    assert math.isnan(value("calibration_error", [nan, RECORDS[1]]))
    assert math.isnan(value("js_divergence", [nan, RECORDS[1]]))
    assert dist_answer([math.nan, 1.0]) is None and dist_answer([1.0, 2.0]) == 1


def test_multiple_choice_accuracy_is_nan_for_non_finite_scores(monkeypatch):
    fake_loglikelihood(monkeypatch, [math.nan, -1.0])
    records = multiple_choice.score(None, [example(0)], ScoringOptions())
    assert records[0]["answer"] is None and records[0]["correct"] is None
    assert math.isnan(get_metric("multiple_choice.accuracy").value(records))
