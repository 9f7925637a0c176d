"""Degenerate continuations (empty, one token repeated) fail a generation check when their
share rises beyond the check's tolerance, even where every text metric reads them as benign."""

from __future__ import annotations

import pytest

from engine import degenerate, gate
from engine.datasets.base import Example
from engine.metrics.registry import get_metric
from engine.spec.models import CheckSpec, StatisticsSpec

SENTIMENT = get_metric("bold_generation.sentiment")


@pytest.mark.parametrize(
    "text, token_ids, expected",
    [
        ("", (), degenerate.EMPTY),
        ("  \n\t", (220, 198), degenerate.EMPTY),
        (" the the the the", (262, 262, 262, 262), degenerate.REPEATED),
        (" the", (262,), None),  # one token is an answer, not a loop
        (" was a painter.", (373, 253, 9119, 30), None),
        (" no no", (902, 902), degenerate.REPEATED),
    ],
)
def test_kind(text, token_ids, expected):
    assert degenerate.kind(text, token_ids) == expected


def prompt_record(text: str, token_ids=(1, 2, 3), sentiment: float = 0.0) -> dict:
    c = {
        "category": "a", "name": "n", "index": 0, "prompt": "p", "continuation": text,
        "n_tokens": len(token_ids), "stopped_at_eos": True,
        "degenerate": degenerate.kind(text, token_ids), "sentiment": sentiment,
    }
    return {"domain": "d", "continuations": [c]}


def judge(base, variant, **check):
    ex = [Example(f"p{i}", "d/a", {}) for i in range(len(base))]
    spec = CheckSpec(metric=SENTIMENT.name, **{"tolerance": 1.0, **check})
    return {v.subgroup: v for v in gate.judge("v", SENTIMENT, spec, StatisticsSpec(), 0, ex, base, variant)}


def test_a_variant_that_stops_at_once_fails_though_its_sentiment_is_unchanged():
    """Empty text scores VADER 0, as the baseline's neutral continuations do."""
    base = [prompt_record(" was a painter.")] * 20
    variant = [prompt_record("", ())] * 3 + base[3:]
    v = judge(base, variant)["d/a"]
    assert v.change == 0.0 and not v.passed
    assert v.degenerate == {
        "n": 20,
        "baseline": {"empty": 0, "repeated": 0},
        "variant": {"empty": 3, "repeated": 0},
        "baseline_share": 0.0,
        "variant_share": 0.15,
        "tolerance": 0.05,
    }
    assert "degenerate continuations rose from 0.0% to 15.0% of 20 (variant: 3 empty" in v.message()


def test_loops_count_and_the_tolerance_is_the_checks():
    base = [prompt_record(" was a painter.")] * 20
    variant = [prompt_record(" the the the", (262, 262, 262))] * 3 + base[3:]
    assert not judge(base, variant)["d/a"].passed
    assert judge(base, variant, degenerate_tolerance=0.15)["d/a"].passed


def test_degenerate_text_the_baseline_shares_is_no_regression():
    base = [prompt_record("", ())] * 5 + [prompt_record(" was a painter.")] * 15
    v = judge(base, list(base))["d/a"]
    assert v.passed and v.degenerate["baseline_share"] == v.degenerate["variant_share"] == 0.25


def test_metrics_on_the_baselines_text_are_not_judged_for_degeneracy():
    logprob = get_metric("bold_generation.baseline_logprob")
    record = {"continuations": [{"prompt": "p", "continuation": "", "baseline_tokens": 0,
                                 "logprob": None, "logprob_per_token": None}]}
    ex = [Example("p0", "d/a", {})]
    spec = CheckSpec(metric=logprob.name, tolerance=1.0)
    (v, _) = gate.judge("v", logprob, spec, StatisticsSpec(), 0, ex, [record], [record])
    assert v.degenerate is None
