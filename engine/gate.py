"""Baseline vs variant, per check and subgroup: the change, its direction, and the verdict."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence

from engine.datasets.base import OVERALL, Example
from engine.metrics.registry import Metric, Record
from engine.spec.models import CheckSpec


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

    @property
    def label(self) -> str:
        return f"{self.variant} / {self.metric} / {self.subgroup}"

    def message(self) -> str:
        if self.n == 0 or not math.isfinite(self.worsening):
            return (
                f"{self.label}: no valid result (baseline {self.baseline}, variant {self.value}, "
                f"n={self.n}); a subgroup without a finite value cannot pass"
            )
        verb = "worsened" if self.worsening > 0 else "did not worsen"
        amount = f"by {self.worsening:.3f}" if self.worsening > 0 else f"(change {self.change:+.3f})"
        relation = ">" if not self.passed else "<="
        return (
            f"{self.label}: {verb} {amount} (baseline {self.baseline:.3f} -> {self.value:.3f}, "
            f"n={self.n}, {self.direction}) {relation} tolerance {self.tolerance:.3f}"
        )

    def to_dict(self) -> dict:
        return {**asdict(self), "message": self.message()}


def subgroups_of(examples: Sequence[Example]) -> list[str]:
    return sorted({e.subgroup for e in examples}) + [OVERALL]


def members(examples: Sequence[Example], subgroup: str) -> list[int]:
    return [i for i, e in enumerate(examples) if subgroup in (OVERALL, e.subgroup)]


def subgroup_values(
    metric: Metric, examples: Sequence[Example], records: Sequence[Record]
) -> dict[str, tuple[float, int]]:
    """Per subgroup (and overall): the metric's value and how many examples it rests on."""
    out = {}
    for group in subgroups_of(examples):
        idx = members(examples, group)
        out[group] = (metric.subgroup_value([records[i] for i in idx]), len(idx))
    return out


def judge(
    variant: str,
    metric: Metric,
    check: CheckSpec,
    examples: Sequence[Example],
    baseline: Sequence[Record],
    compressed: Sequence[Record],
) -> list[Verdict]:
    base_values = subgroup_values(metric, examples, baseline)
    variant_values = subgroup_values(metric, examples, compressed)
    verdicts = []
    for group, (base, n) in base_values.items():
        value = variant_values[group][0]
        worsening = metric.direction.worsening(base, value)
        tolerance = check.tolerance_for(group)
        # Shares such as 0.53 - 0.50 are not exact in binary; a worsening equal to the
        # tolerance as written must pass, so compare with a margin far below any real change.
        passed = n > 0 and math.isfinite(worsening) and worsening <= tolerance + 1e-9
        verdicts.append(
            Verdict(
                variant=variant,
                metric=metric.name,
                subgroup=group,
                baseline=base,
                value=value,
                change=value - base,
                worsening=worsening,
                tolerance=tolerance,
                n=n,
                direction=metric.direction.describe(),
                passed=passed,
            )
        )
    return verdicts
