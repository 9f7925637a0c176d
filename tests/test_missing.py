"""Scores a model did not produce fail the item with their count, whatever the metric."""

from __future__ import annotations

import math

import pytest

from engine import gate, missing
from engine.datasets.base import Example
from engine.metrics.registry import get_metric
from engine.spec.models import CheckSpec, StatisticsSpec

NAN = math.nan
CROWS = get_metric("crows_pairs.stereotype_score")


def examples(groups: dict[str, int]) -> list[Example]:
    return [Example(f"{g}-{i}", g, {}) for g, n in groups.items() for i in range(n)]


def pair(more: float, less: float) -> dict:
    # As the metric scores a pair: a NaN compares as False, i.e. "not stereotyped".
    return {"ll_more": more, "ll_less": less, "stereotyped": more > less}


def judge(metric, ex, base, variant, tolerance=0.05):
    check = CheckSpec(metric=metric.name, tolerance=tolerance)
    return {v.subgroup: v for v in gate.judge("v", metric, check, StatisticsSpec(), 0, ex, base, variant)}


@pytest.mark.parametrize(
    "record, fields",
    [
        ({"ll_more": -3.0, "ll_less": -4.0, "stereotyped": True}, ()),
        ({"ll_more": NAN, "ll_less": -4.0, "stereotyped": False}, ("ll_more",)),
        ({"ll": [-1.0, math.inf, -2.0], "pred": 1}, ("ll",)),
        ({"continuations": [{"sentiment": 0.0, "toxicity": NAN}, {"toxicity": 0.1}]}, ("toxicity",)),
        ({"continuations": [{"logprob_per_token": None}]}, ()),  # None: no value by design
        ({"correct": True, "n_tokens_gold": 3}, ()),
    ],
)
def test_non_finite_numbers_are_found_at_any_depth(record, fields):
    assert missing.non_finite_fields(record) == fields


def test_nan_pairs_fail_with_their_count_instead_of_reading_as_unbiased():
    """The issue's case: NaN pairs read as "not stereotyped" pull the score towards 0.5 and
    the variant passed as improved."""
    ex = examples({"sexual-orientation": 10, "age": 6})
    base = [pair(-1.0, -2.0)] * 8 + [pair(-2.0, -1.0)] * 2 + [pair(-1.0, -2.0)] * 3 + [pair(-2.0, -1.0)] * 3
    variant = [pair(NAN, -2.0)] * 4 + base[4:]
    verdicts = judge(CROWS, ex, base, variant, tolerance=0.5)

    v = verdicts["sexual-orientation"]
    assert not v.passed
    assert v.missing == {"n": 10, "baseline": 0, "variant": 4, "fields": ("ll_more",)}
    assert v.reasons[0].startswith(
        "4 of 10 pairs have no finite log-likelihood in the variant (ll_more: NaN or infinite)"
    )
    # The values leave the four pairs out of both models: no change on the six that remain.
    assert (v.baseline, v.value, v.change) == (4 / 6, 4 / 6, 0.0)
    assert not verdicts["overall"].passed and verdicts["overall"].missing["variant"] == 4
    # A subgroup the broken pairs are not in is judged on its merits.
    assert verdicts["age"].passed and verdicts["age"].missing is None and verdicts["age"].change == 0.0


def test_missing_baseline_scores_fail_too():
    ex = examples({"gender": 4})
    base = [pair(-1.0, -2.0), pair(-math.inf, -2.0), pair(-2.0, -1.0), pair(-1.0, -2.0)]
    v = judge(CROWS, ex, base, list(base))["gender"]
    assert not v.passed
    assert v.missing["baseline"] == 1 and v.missing["variant"] == 1
    assert "1 of 4 pairs have no finite log-likelihood in the baseline" in v.message()


def test_nan_answers_fail_bbq_instead_of_taking_the_first_choice():
    bbq = get_metric("bbq.accuracy_disambig")
    item = {
        "ll": [-1.0, -2.0, -3.0],
        "scores": [-1.0, -2.0, -3.0],
        "pred": 0,
        "label": 0,
        "unknown": 2,
        "target": 1,
        "context_condition": "disambig",
        "question_polarity": "neg",
    }
    broken = {**item, "ll": [NAN, NAN, NAN], "scores": [NAN, NAN, NAN], "pred": 0}
    ex = examples({"Age": 5})
    v = judge(bbq, ex, [item] * 5, [item] * 3 + [broken] * 2, tolerance=1.0)["Age"]
    assert not v.passed
    assert "2 of 5 items have no finite log-likelihood or score in the variant" in v.message()


def test_nan_winogender_items_no_longer_shrink_the_gap():
    gap = get_metric("winogender.gender_gap")

    def item(gender: str, correct: bool, ll: float = -1.0) -> dict:
        return {"ll_gold": ll, "ll_other": -2.0, "score_gold": ll, "score_other": -2.0,
                "correct": correct, "gender": gender, "stereotype": "pro", "n_tokens_gold": 1,
                "n_tokens_other": 1}

    ex = examples({"occupation": 8})
    base = [item("male", True)] * 4 + [item("female", False)] * 4
    variant = base[:4] + [item("female", False, NAN)] * 4
    v = judge(gap, ex, base, variant, tolerance=10.0)["occupation"]
    assert not v.passed and v.missing["variant"] == 4


def test_nan_toxicity_is_not_non_toxic():
    rate = get_metric("bold_generation.toxicity_rate")

    def prompt(toxicity: float) -> dict:
        c = {"category": "a", "name": "n", "index": 0, "prompt": "p", "continuation": "text",
             "n_tokens": 1, "stopped_at_eos": False, "degenerate": None, "sentiment": 0.0,
             "toxicity": toxicity}
        return {"domain": "d", "continuations": [c]}

    ex = examples({"d/a": 4})
    v = judge(rate, ex, [prompt(0.1)] * 4, [prompt(0.1)] * 3 + [prompt(NAN)], tolerance=1.0)["d/a"]
    assert not v.passed
    assert "1 of 4 prompts have no finite toxicity score in the variant" in v.message()


def test_an_identical_variant_with_complete_scores_passes_with_zero_change():
    ex = examples({"gender": 6})
    base = [pair(-1.0, -2.0), pair(-2.0, -1.0)] * 3
    assert all(v.passed and v.change == 0.0 and v.missing is None for v in judge(CROWS, ex, base, list(base)).values())


def test_one_models_values_leave_its_missing_records_out():
    ex = examples({"gender": 4})
    records = [pair(-1.0, -2.0), pair(NAN, -2.0), pair(-2.0, -1.0), pair(-2.0, -1.0)]
    assert gate.subgroup_values(CROWS, ex, records, CROWS.options())["gender"] == (pytest.approx(1 / 3), 3)
