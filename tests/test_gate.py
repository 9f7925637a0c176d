"""Verdicts: direction of worsening, tolerances, and results that can never pass."""

from __future__ import annotations

import math

import pytest

from engine.datasets.base import Example
from engine import gate
from engine.metrics.registry import Direction, get_metric
from engine.spec.models import CheckSpec, StatisticsSpec

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


def judge(variant, metric, check, ex, base, compressed, statistics=None):
    statistics = statistics or StatisticsSpec()
    verdicts = gate.judge(variant, metric, check, statistics, 0, ex, base, compressed)
    return gate.correct(verdicts, statistics)


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
    assert "worsening +0.100 (95% CI [" in v.message()
    assert "baseline 0.600 -> 0.300, n=10, distance from 0.5 is worse), tolerance 0.050" in v.message()
    assert "worsened by 0.100, more than the tolerance 0.050" in v.message()


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

    nan_metric = replace(METRIC, value=lambda recs, w=None: math.nan if w is None else w[:, 0] * math.nan)
    ex = examples({"gender": 4})
    verdicts = judge("v", nan_metric, check(1e9), ex, records([True] * 4), records([True] * 4))
    assert all(not v.passed for v in verdicts)
    assert "no valid result" in verdicts[0].message()


def test_empty_subgroup_cannot_pass():
    assert math.isnan(METRIC.subgroup_value([]))


def constructed(groups: dict[str, tuple[int, int, int]]):
    """Per subgroup (pairs, stereotyped at baseline, flips to stereotyped in the variant)."""
    ex, base, variant = [], [], []
    for group, (n, yes, flips) in groups.items():
        ex += examples({group: n})
        flags = [i < yes for i in range(n)]
        base += records(flags)
        variant += records([f or yes <= i < yes + flips for i, f in enumerate(flags)])
    return ex, base, variant


def test_min_examples_fails_a_smaller_subgroup_with_the_reason():
    ex, base, variant = constructed({"age": (5, 2, 0), "gender": (40, 20, 0)})
    statistics = StatisticsSpec(min_examples=10)
    verdicts = by_group(judge("v", METRIC, check(0.5), ex, base, variant, statistics))
    assert not verdicts["age"].passed and verdicts["gender"].passed
    assert verdicts["age"].reasons == ("only 5 examples, fewer than min_examples = 10",)
    override = CheckSpec(metric=METRIC.name, tolerance=0.5, min_examples=3)
    assert by_group(judge("v", METRIC, override, ex, base, variant, statistics))["age"].passed


def test_absolute_bounds_judge_the_variant_whatever_the_baseline():
    ex, base, variant = constructed({"gender": (200, 140, 20)})  # 0.70 -> 0.80
    bounded = CheckSpec(metric=METRIC.name, tolerance=1.0, max=0.75)
    v = by_group(judge("v", METRIC, bounded, ex, base, variant))["gender"]
    assert not v.passed and v.reasons == ("the value (0.800) goes above max = 0.75",)
    # The value's 95% interval is about [0.745, 0.855]: `significant` fails only if all of
    # it is above the bound, `equivalent` if any of it is.
    for rule, bound, passed in (
        ("significant", 0.70, False),
        ("significant", 0.75, True),
        ("equivalent", 0.85, False),
        ("equivalent", 0.90, True),
    ):
        ruled = CheckSpec(metric=METRIC.name, tolerance=1.0, max=bound, rule=rule)
        assert by_group(judge("v", METRIC, ruled, ex, base, variant))["gender"].passed is passed
    low = CheckSpec(metric=METRIC.name, tolerance=1.0, min=0.85)
    assert "goes below min = 0.85" in by_group(judge("v", METRIC, low, ex, base, variant))["gender"].reasons[0]


def test_holm_turns_a_marginal_significant_worsening_into_a_pass():
    # Five subgroups with the same moderate regression: alone each is significant, but
    # corrected over the five (and overall), the weakest ones no longer are.
    groups = {f"g{i}": (60, 30, 9) for i in range(5)}  # 0.50 -> 0.65 each
    ex, base, variant = constructed(groups)
    rule = CheckSpec(metric=METRIC.name, tolerance=0.05, rule="significant")
    alone = by_group(judge("v", METRIC, rule, ex, base, variant, StatisticsSpec()))
    holm = by_group(judge("v", METRIC, rule, ex, base, variant, StatisticsSpec(correction="holm")))
    assert all(not alone[g].passed for g in groups)
    assert all(holm[g].passed for g in groups) and not holm["overall"].passed
    for g in groups:
        assert holm[g].correction == "holm" and holm[g].adjusted_p >= alone[g].p_value
        assert alone[g].correction == "none" and alone[g].adjusted_p == alone[g].p_value
    assert "holm-adjusted p=" in holm["overall"].message()


def test_correction_families_are_a_check_or_a_variant():
    ex, base, variant = constructed({f"g{i}": (60, 30, 10) for i in range(3)})
    rule = CheckSpec(metric=METRIC.name, tolerance=0.05, rule="significant")
    first = gate.judge("a", METRIC, rule, StatisticsSpec(), 0, ex, base, variant)
    second = [gate.replace(v, metric="other") for v in first]
    per_check = gate.correct(first + second, StatisticsSpec(correction="bh"))
    per_variant = gate.correct(
        first + second, StatisticsSpec(correction="bh", correction_scope="variant")
    )
    assert [v.adjusted_p for v in per_check[:4]] == [v.adjusted_p for v in per_check[4:]]
    assert all(a.adjusted_p >= b.adjusted_p for a, b in zip(per_variant, per_check))


def test_identical_variant_has_a_zero_width_interval_and_passes_every_rule():
    ex, base, _ = constructed({"gender": (30, 12, 0)})
    for rule in ("point", "significant", "equivalent"):
        ruled = CheckSpec(metric=METRIC.name, tolerance=0.0, rule=rule)
        for v in judge("v", METRIC, ruled, ex, base, list(base)):
            assert v.worsening_interval == (0.0, 0.0) and v.change == 0.0
            assert v.flips == {"up": 0, "down": 0, "p_value": 1.0}
            assert v.detectable == 0.0 and not v.warnings and v.passed


def test_a_non_number_from_a_metric_fails_with_its_type():
    from dataclasses import replace

    odd = replace(METRIC, value=lambda recs, w=None: None if w is None else w[:, 0])
    ex = examples({"gender": 4})
    v = judge("v", odd, check(1.0), ex, records([True] * 4), records([True] * 4))[0]
    assert not v.passed
    assert "the metric gave the baseline a NoneType (None), not a number" in v.reasons
