"""Baseline vs variant, per check and subgroup: the change, its uncertainty, and the verdict.

Every item gets the same evidence, whatever its metric: the worsening with a paired bootstrap
interval (of the change, applied to the baseline's observed value), the variant's own value
with its interval (for absolute bounds), the smallest worsening this comparison can resolve
(half the width of the change's interval), and, for metrics that are a share of yes/no
judgements, the flips in each direction with McNemar's exact p-value. The check's rule then
turns the evidence into a verdict:

- `point`: fail if the measured worsening exceeds the tolerance;
- `significant`: fail only if the interval's lower end exceeds it (optionally after a
  Holm or Benjamini-Hochberg correction across the family, see `correct`);
- `equivalent`: pass only if the interval's upper end is within it, and the subgroup can
  resolve a worsening as small as the tolerance at all.

Whatever the rule, an item without a defined value (no examples, too few, NaN, no valid
answer) fails with the reason; it never scores 0 and passes. So does an item where either
model left scores missing (`engine.missing`: non-finite numbers in a record, counted and left
out of both models' values), and, for metrics on generated text, one where the variant's
share of degenerate continuations rose beyond the check's `degenerate_tolerance`
(`engine.degenerate`), whatever the metric's own verdict.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from numbers import Real
from typing import Sequence

import numpy as np

from engine import degenerate, missing, stats
from engine.datasets.base import OVERALL, Example, stable_seed
from engine.metrics.registry import Metric, Record, ScoringOptions
from engine.spec.models import CheckSpec, StatisticsSpec

# Shares such as 0.53 - 0.50 are not exact in binary; a worsening equal to the tolerance as
# written must pass, so compare with a margin far below any real change.
MARGIN = 1e-9


@dataclass(frozen=True)
class Verdict:
    variant: str
    metric: str
    subgroup: str
    baseline: float
    value: float
    change: float  # variant - baseline
    worsening: float  # in the metric's direction; negative means it improved
    tolerance: float
    n: int
    direction: str
    passed: bool
    rule: str = "point"
    confidence: float = 0.95
    worsening_interval: tuple[float, float] = (math.nan, math.nan)
    value_interval: tuple[float, float] = (math.nan, math.nan)
    # The smallest worsening this comparison can resolve: half the width of the paired
    # change's interval. It is the variant's own: few flips, a narrow interval.
    detectable: float = math.nan
    p_value: float | None = None  # the rule's bootstrap p-value (None under `point`)
    adjusted_p: float | None = None
    correction: str = "none"
    bounds: tuple[float | None, float | None] = (None, None)  # (min, max) of the value
    min_examples: int = 1
    flips: dict | None = None  # {"up", "down", "p_value"} for yes/no outcomes
    # Of the subgroup's examples, those either model could not score ({"n", "baseline",
    # "variant", "fields"}), and the reasons they give; values leave them out.
    missing: dict | None = None
    unmeasured: tuple[str, ...] = ()
    degenerate: dict | None = None  # `Degeneracy.to_dict()`, for metrics on generated text
    reasons: tuple[str, ...] = ()  # why the item failed, in words
    warnings: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.variant} / {self.metric} / {self.subgroup}"

    @property
    def underpowered(self) -> bool:
        return bool(np.isfinite(self.detectable) and self.detectable > self.tolerance + MARGIN)

    def message(self) -> str:
        if not _is_number(self.worsening):
            head = f"{self.label}: no valid result (baseline {self.baseline}, variant {self.value}, n={self.n})"
        else:
            low, high = self.worsening_interval
            interval = (
                f"{self.confidence:.0%} CI [{low:+.3f}, {high:+.3f}]"
                if _is_number(low) and _is_number(high)
                else "interval undefined"
            )
            head = (
                f"{self.label}: worsening {self.worsening:+.3f} ({interval}; baseline "
                f"{self.baseline:.3f} -> {self.value:.3f}, n={self.n}, {self.direction}), "
                f"tolerance {self.tolerance:.3f}, rule {self.rule}"
            )
            if self.flips is not None:
                head += (
                    f"; flips 0->1: {self.flips['up']}, 1->0: {self.flips['down']} "
                    f"(McNemar p={self.flips['p_value']:.3g})"
                )
        notes = list(self.reasons) + [w for w in self.warnings if w not in self.reasons]
        return head + "".join(f"\n  - {note}" for note in notes)

    def to_dict(self) -> dict:
        return {**asdict(self), "message": self.message()}


def _is_number(x) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool) and math.isfinite(x)


def subgroups_of(examples: Sequence[Example]) -> list[str]:
    return sorted({g for e in examples for g in (e.subgroup, *e.pools)}) + [OVERALL]


def members(examples: Sequence[Example], subgroup: str) -> list[int]:
    return [
        i for i, e in enumerate(examples) if subgroup in (OVERALL, e.subgroup) or subgroup in e.pools
    ]


def subgroup_values(
    metric: Metric, examples: Sequence[Example], records: Sequence[Record], options: ScoringOptions
) -> dict[str, tuple[float, int]]:
    """Per subgroup (and overall): the metric's value under the check's options on one
    model's complete records, and how many they are."""
    out = {}
    for group in subgroups_of(examples):
        scored = missing.complete_records([records[i] for i in members(examples, group)])
        out[group] = (metric.subgroup_value(scored, options), len(scored))
    return out


@dataclass(frozen=True)
class Resampled:
    """A model's value on one subgroup and on each bootstrap resample of its examples."""

    value: float
    draws: np.ndarray


def resample(
    metric: Metric,
    records: Sequence[Record],
    statistics: StatisticsSpec,
    seed: int,
    subgroup: str,
    options: ScoringOptions,
) -> Resampled:
    # Seeded by check and subgroup only: every variant (and the baseline) of a spec is
    # resampled with the same draws of examples, which is what makes the change paired.
    draw_seed = stable_seed(seed, "bootstrap", metric.name, subgroup)
    value = metric.valued(options)
    (draws,) = stats.bootstrap([lambda w: value(records, w)], len(records), statistics.resamples, draw_seed)
    return Resampled(metric.subgroup_value(records, options), draws)


def judge(
    variant: str,
    metric: Metric,
    check: CheckSpec,
    statistics: StatisticsSpec,
    seed: int,
    examples: Sequence[Example],
    baseline: Sequence[Record],
    compressed: Sequence[Record],
    baseline_resampled: dict[str, Resampled] | None = None,
) -> list[Verdict]:
    """One verdict per subgroup, before any correction across items (see `correct`).
    `baseline_resampled` caches the baseline's resamples across variants."""
    cache = {} if baseline_resampled is None else baseline_resampled
    options = metric.options(bins=check.bins)  # all a value reads of the check's options
    verdicts = []
    for group in subgroups_of(examples):
        idx = members(examples, group)
        kept, absent = missing.complete(idx, baseline, compressed)
        base_records = [baseline[i] for i in kept]
        # Keyed by the examples kept: a variant with missing scores pairs the baseline's
        # resamples with its own on fewer examples.
        key = (group, tuple(kept))
        if key not in cache:
            cache[key] = resample(metric, base_records, statistics, seed, group, options)
        variant_records = [compressed[i] for i in kept]
        verdict = _verdict(
            variant,
            metric,
            check,
            statistics,
            group,
            len(idx),
            cache[key],
            resample(metric, variant_records, statistics, seed, group, options),
            _flips(metric, base_records, variant_records),
        )
        if absent is not None:
            unit = metric.dataset.unit
            verdict = replace(verdict, missing=asdict(absent), unmeasured=tuple(absent.reasons(unit)))
        if metric.generation is not None and not metric.reference:
            tolerance = check.degenerate_tolerance
            tolerance = degenerate.DEFAULT_TOLERANCE if tolerance is None else tolerance
            shares = degenerate.compare(idx, baseline, compressed, tolerance)
            verdict = replace(verdict, degenerate=shares.to_dict())
        verdicts.append(decide(verdict))
    return verdicts


def _flips(metric: Metric, baseline: Sequence[Record], variant: Sequence[Record]) -> dict | None:
    if metric.outcome is None:
        return None
    flips = stats.mcnemar(metric.outcome(baseline), metric.outcome(variant))
    return {"up": flips.up, "down": flips.down, "p_value": flips.p_value}


def _verdict(
    variant: str,
    metric: Metric,
    check: CheckSpec,
    statistics: StatisticsSpec,
    group: str,
    n: int,
    base: Resampled,
    compressed: Resampled,
    flips: dict | None,
) -> Verdict:
    tolerance = check.tolerance_for(group)
    rule = check.rule or statistics.rule
    confidence = statistics.confidence
    # The resampled change, worsening measured from the baseline's observed value as the
    # tolerance is. Resampling the baseline's own distance from an ideal instead would fold
    # its noise into a bias where the baseline sits at the ideal (|noise| > 0).
    draws = (
        metric.direction.worsening(base.value, base.value + (compressed.draws - base.draws))
        if _is_number(base.value)
        else np.full(len(base.draws), np.nan)
    )
    worse = stats.percentile_interval(draws, confidence)
    own = stats.percentile_interval(compressed.draws, confidence)
    p_value = None
    if rule == "significant":
        p_value = stats.share_at_most(draws, tolerance + MARGIN)
    elif rule == "equivalent":
        p_value = stats.share_above(draws, tolerance + MARGIN)
    numbers = _is_number(base.value) and _is_number(compressed.value)
    verdict = Verdict(
        variant=variant,
        metric=metric.name,
        subgroup=group,
        baseline=base.value,
        value=compressed.value,
        change=compressed.value - base.value if numbers else math.nan,
        worsening=metric.direction.worsening(base.value, compressed.value) if numbers else math.nan,
        tolerance=tolerance,
        n=n,
        direction=metric.direction.describe(),
        passed=False,
        rule=rule,
        confidence=confidence,
        worsening_interval=(worse.low, worse.high),
        value_interval=(own.low, own.high),
        detectable=stats.percentile_interval(compressed.draws - base.draws, confidence).half_width,
        p_value=p_value,
        adjusted_p=p_value,
        bounds=(check.min, check.max),
        min_examples=check.min_examples or statistics.min_examples,
        flips=flips,
    )
    return verdict


def decide(v: Verdict) -> Verdict:
    """The verdict of the item's rule on its evidence, with every reason it failed."""
    reasons = _guard_reasons(v)
    if not reasons:
        reasons = _rule_reasons(v) + _bound_reasons(v)
    if v.degenerate is not None and (why := degenerate.reason(v.degenerate, MARGIN)):
        reasons.append(why)
    warnings = []
    if v.underpowered:
        warnings.append(
            f"this subgroup cannot support the tolerance: the paired change's spread at "
            f"{v.confidence:.0%} confidence (+/-{v.detectable:.3f}) exceeds the tolerance "
            f"{v.tolerance:.3f}, so a smaller worsening is indistinguishable from which examples "
            "were sampled (widen the tolerance or add examples; `fairgate calibrate` helps)"
        )
        if v.rule == "equivalent" and not _guard_reasons(v):
            reasons.append("`equivalent` needs a subgroup that can resolve the tolerance: " + warnings[-1])
    return replace(v, passed=not reasons, reasons=tuple(reasons), warnings=tuple(warnings))


def _guard_reasons(v: Verdict) -> list[str]:
    if v.n == 0:
        return ["the subgroup has no examples: an empty subgroup cannot pass"]
    if v.n < v.min_examples:
        return [f"only {v.n} examples, fewer than min_examples = {v.min_examples}"]
    if v.unmeasured:
        return list(v.unmeasured)
    reasons = []
    for name, x in (("baseline", v.baseline), ("variant", v.value)):
        if not isinstance(x, Real) or isinstance(x, bool):
            reasons.append(f"the metric gave the {name} a {type(x).__name__} ({x!r}), not a number")
        elif not math.isfinite(x):
            reasons.append(
                f"the metric has no finite value for the {name} ({x}): e.g. no valid answer, or a "
                "group it compares is missing; a subgroup without a value cannot pass"
            )
    return reasons


def _alpha(v: Verdict) -> float:
    """One-sided level of each end of the central `confidence` interval."""
    return (1 - v.confidence) / 2


def _rule_reasons(v: Verdict) -> list[str]:
    low, high = v.worsening_interval
    if v.rule == "point":
        if v.worsening > v.tolerance + MARGIN:
            return [f"worsened by {v.worsening:.3f}, more than the tolerance {v.tolerance:.3f}"]
        return []
    if v.adjusted_p is None or not math.isfinite(v.adjusted_p):
        return [
            f"rule `{v.rule}` needs an interval, and fewer than half of the resamples have a "
            "value (too few valid answers in this subgroup)"
        ]
    corrected = f" ({v.correction}-adjusted p={v.adjusted_p:.3g})" if v.correction != "none" else ""
    if v.rule == "significant" and v.adjusted_p < _alpha(v):
        return [
            f"worsened beyond the tolerance with {v.confidence:.0%} confidence: the interval's "
            f"lower end {low:+.3f} is above {v.tolerance:.3f}{corrected}"
        ]
    # Decided on the interval itself: no correction applies, and 1 - p against 1 - alpha
    # would be at the mercy of rounding where the quantile is not.
    if v.rule == "equivalent" and high > v.tolerance + MARGIN:
        return [
            f"not shown to be within the tolerance: the interval's upper end {high:+.3f} is "
            f"above {v.tolerance:.3f}"
        ]
    return []


def _bound_reasons(v: Verdict) -> list[str]:
    low, high = v.bounds
    if low is None and high is None:
        return []
    if v.rule == "point":
        below_evidence, above_evidence, what = v.value, v.value, "value"
    elif not all(math.isfinite(x) for x in v.value_interval):
        return ["an absolute bound under a non-point rule needs the value's interval, which is undefined"]
    elif v.rule == "significant":
        # Beyond a bound only if even the favourable end of the interval is.
        below_evidence, above_evidence = v.value_interval[1], v.value_interval[0]
        what = "value's whole interval"
    else:
        below_evidence, above_evidence = v.value_interval
        what = "value's interval"
    reasons = []
    if high is not None and above_evidence > high + MARGIN:
        reasons.append(f"the {what} ({_span(v)}) goes above max = {high:g}")
    if low is not None and below_evidence < low - MARGIN:
        reasons.append(f"the {what} ({_span(v)}) goes below min = {low:g}")
    return reasons


def _span(v: Verdict) -> str:
    if v.rule == "point":
        return f"{v.value:.3f}"
    return f"{v.value:.3f}, {v.confidence:.0%} CI [{v.value_interval[0]:.3f}, {v.value_interval[1]:.3f}]"


def correct(verdicts: Sequence[Verdict], statistics: StatisticsSpec) -> list[Verdict]:
    """Adjust the p-values of `significant` items for multiple comparisons within each
    family (a check's subgroups of one variant, or all items of a variant) and re-decide.
    `point` has no p-value, and `equivalent` needs none: every item must pass on its own, so
    the chance that some non-equivalent item slips through is at most the level of one test."""
    if statistics.correction == "none":
        return list(verdicts)

    def family(v: Verdict) -> tuple:
        return (v.variant, v.metric) if statistics.correction_scope == "check" else (v.variant,)

    out = list(verdicts)
    families: dict[tuple, list[int]] = {}
    for i, v in enumerate(out):
        if v.rule == "significant" and v.p_value is not None:
            families.setdefault(family(v), []).append(i)
    for idx in families.values():
        adjusted = stats.adjust([out[i].p_value for i in idx], statistics.correction)
        for i, p in zip(idx, adjusted):
            out[i] = decide(replace(out[i], adjusted_p=p, correction=statistics.correction))
    return out
