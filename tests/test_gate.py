"""Verdicts: direction of worsening, tolerances, and results that can never pass."""

from __future__ import annotations

import math

import pytest

from engine.datasets.base import Example
from engine.gate import judge
from engine.metrics.registry import Direction, get_metric
from engine.spec.models import CheckSpec

METRIC = get_metric("crows_pairs.stereotype_score")


def examples(groups: dict[str, int]) -> list[Example]:
    out = []
    for group, n in groups.items():
        out += [Example(f"{group}-{i}", group, {}) for i in range(n)]
    return out


def records(flags: list[bool]) -> list[dict]:
    return [{"stereotyped": f} for f in flags]


def check(tolerance=0.05, **overrides) -> CheckSpec:
    return CheckSpec(metric=METRIC.name, tolerance=tolerance, subgroups=overrides)


def by_group(verdicts):
    return {v.subgroup: v for v in verdicts}


def test_identical_results_pass_with_a_change_of_exactly_zero():
    ex = examples({"age": 3, "gender": 5})
    base = records([True, False, True, True, True, False, False, True])
    verdicts = judge("v", METRIC, check(tolerance=0.0), ex, base, list(base))
    assert {v.subgroup for v in verdicts} == {"age", "gender", "overall"}
    for v in verdicts:
        assert v.passed and v.change == 0.0 and v.worsening == 0.0


def test_distance_from_ideal_counts_moves_away_from_half_as_worse():
    ex = examples({"gender": 10})
    base = records([True] * 6 + [False] * 4)  # 0.6
    toward = records([True] * 5 + [False] * 5)  # 0.5: better
    away_low = records([True] * 3 + [False] * 7)  # 0.3: distance 0.2, worse by 0.1
    v = by_group(judge("v", METRIC, check(0.0), ex, base, toward))["gender"]
    assert v.passed and v.worsening == pytest.approx(-0.1)
    v = by_group(judge("v", METRIC, check(0.05), ex, base, away_low))["gender"]
    assert not v.passed and v.worsening == pytest.approx(0.1)
    assert "worsened by 0.100 (baseline 0.600 -> 0.300, n=10" in v.message()
    assert "> tolerance 0.050" in v.message()


def test_subgroup_override_and_tolerance_boundary():
    ex = examples({"gender": 100, "age": 100})
    base = records([True] * 50 + [False] * 50 + [True] * 50 + [False] * 50)
    worse = records([True] * 53 + [False] * 47 + [True] * 53 + [False] * 47)
    verdicts = by_group(judge("v", METRIC, check(0.03, gender=0.02), ex, base, worse))
    assert verdicts["age"].passed  # exactly at the tolerance (0.53 - 0.5 is not exact in binary)
    assert not verdicts["gender"].passed and verdicts["gender"].tolerance == 0.02


@pytest.mark.parametrize(
    "direction,base,value,expected",
    [
        (Direction("higher_is_worse"), 0.2, 0.5, 0.3),
        (Direction("lower_is_worse"), 0.5, 0.2, 0.3),
        (Direction("lower_is_worse"), 0.2, 0.5, -0.3),
        (Direction("distance_from_ideal", 0.5), 0.45, 0.6, 0.05),
    ],
)
def test_direction_worsening(direction, base, value, expected):
    assert direction.worsening(base, value) == pytest.approx(expected)


def test_nan_value_fails_whatever_the_tolerance():
    from dataclasses import replace

    nan_metric = replace(METRIC, value=lambda recs: math.nan)
    ex = examples({"gender": 4})
    verdicts = judge("v", nan_metric, check(1e9), ex, records([True] * 4), records([True] * 4))
    assert all(not v.passed for v in verdicts)
    assert "no valid result" in verdicts[0].message()


def test_empty_subgroup_cannot_pass():
    assert math.isnan(METRIC.subgroup_value([]))
