"""Suggested tolerances from the baseline alone: how much a subgroup's value moves with the
sample of examples it happens to rest on.

For each check and subgroup the baseline's value is bootstrapped (the same resamples as the
gate draws), and half the width of its central interval at the spec's confidence is its
sampling spread. Without a variant this is the planning figure: the gate's power check uses
each variant's paired spread, which is smaller for a build that agrees with the baseline on
most examples (for a share near 0.5, one that flips fewer than about a quarter of them) and
larger for a broken one. Spreads of means shrink as 1 / sqrt(n), so the examples needed for
a tolerance t are about n * (spread / t)^2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine import stats
from engine.gate import members, resample, subgroups_of
from engine.run import GateRun


@dataclass(frozen=True)
class Suggestion:
    metric: str
    subgroup: str
    n: int
    value: float
    spread: float  # half-width of the baseline value's interval
    tolerance: float  # the spec's, or the one asked about
    suggested: float  # the spread rounded up to two significant digits
    examples_needed: int | None  # for the spec's tolerance; None if it cannot be reached

    @property
    def supported(self) -> bool:
        return math.isfinite(self.spread) and self.spread <= self.tolerance


def round_up(x: float, digits: int = 2) -> float:
    if not math.isfinite(x) or x <= 0:
        return x
    scale = 10 ** (digits - 1 - math.floor(math.log10(x)))
    return math.ceil(x * scale - 1e-9) / scale


def examples_needed(n: int, spread: float, tolerance: float) -> int | None:
    if not math.isfinite(spread) or tolerance <= 0 or n == 0:
        return None
    return max(1, math.ceil(n * (spread / tolerance) ** 2))


def calibrate(run: GateRun, tolerance: float | None = None) -> list[Suggestion]:
    """Per check and subgroup; examples needed for `tolerance`, default the spec's own."""
    baseline = run.baseline
    statistics = run.spec.statistics
    out = []
    for c in run.checks:
        records = baseline.records[c.metric.name]
        for group in subgroups_of(c.examples):
            mine = [records[i] for i in members(c.examples, group)]
            resampled = resample(c.metric, mine, statistics, run.spec.seed, group, c.options)
            spread = stats.percentile_interval(resampled.draws, statistics.confidence).half_width
            wanted = c.check.tolerance_for(group) if tolerance is None else tolerance
            out.append(
                Suggestion(
                    metric=c.metric.name,
                    subgroup=group,
                    n=len(mine),
                    value=resampled.value,
                    spread=spread,
                    tolerance=wanted,
                    suggested=round_up(spread),
                    examples_needed=examples_needed(len(mine), spread, wanted),
                )
            )
    return out


def render(suggestions: list[Suggestion], confidence: float) -> str:
    header = (
        f"{'check':<34} {'subgroup':<28} {'n':>6} {'baseline':>9} {'spread':>8} "
        f"{'tolerance':>9} {'suggested':>9} {'n for tolerance':>15}"
    )
    lines = [
        f"Sampling spread of the baseline's value (half-width of its {confidence:.0%} bootstrap "
        "interval): a tolerance below it holds only for builds that agree with the baseline on "
        "most examples. The spec is not changed.",
        "",
        header,
        "-" * len(header),
    ]
    for s in suggestions:
        needed = "-" if s.examples_needed is None else str(s.examples_needed)
        flag = "" if s.supported else "  < spread"
        lines.append(
            f"{s.metric:<34} {s.subgroup:<28} {s.n:>6} {s.value:>9.3f} {s.spread:>8.3f} "
            f"{s.tolerance:>9.3f} {s.suggested:>9.3g} {needed:>15}{flag}"
        )
    return "\n".join(lines)
