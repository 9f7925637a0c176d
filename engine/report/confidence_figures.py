"""The report's figures for confidence checks (`engine/metrics/confidence.py`), drawn from
the answer distributions results.json keeps for every item:

- a reliability diagram per variant: over equal-mass bins of the model's own confidence,
  accuracy against mean confidence, the baseline's curve beside the variant's and the
  diagonal of perfect calibration;
- the shift by the baseline's confidence: per variant, the mean Jensen-Shannon divergence
  from the baseline and the answer flip rate over the thirds of items where the baseline
  was least, middling and most sure (where the studies find quantization moves answers most).

One pair of figures per data set with confidence checks: its checks share the items.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from engine.metrics import distributions as dist
from engine.metrics.confidence import DEFAULT_BINS, THIRDS, item_columns
from engine.report.plots import (
    BASELINE_COLOR,
    FAIL_COLOR,
    PASS_COLOR,
    evaluated_variants,
    figure_style,
    svg_element,
)

INCHES = 2.6


def confidence_checks(spec: dict) -> dict[str, str]:
    """Per data set name, the first of its checks whose items carry answer distributions."""
    found: dict[str, str] = {}
    for metric, check in spec["checks"].items():
        examples = spec["models"].get("baseline", {}).get("checks", {}).get(metric, {}).get("examples", [])
        if examples and "reference_p" in examples[0]:
            found.setdefault(check["dataset"]["name"], metric)
    return found


def _items(spec: dict, label: str, metric: str) -> list[dict]:
    return spec["models"][label]["checks"][metric]["examples"]


def _bins(spec: dict, metric: str) -> int:
    """The check's `bins`; results written while records carried it keep it in every item."""
    checks = [c for c in spec.get("spec", {}).get("checks", []) if c.get("metric") == metric]
    if checks and checks[0].get("bins"):
        return checks[0]["bins"]
    return _items(spec, "baseline", metric)[0].get("bins", DEFAULT_BINS)


def _curve(items: list[dict], bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean confidence and accuracy per non-empty equal-mass bin of own confidence."""
    columns = item_columns(items)
    confidence, correct = columns["confidence"], columns["correct"]
    counts, (conf, hits) = dist.equal_mass_sums(confidence, [confidence, correct], np.ones((1, len(items))), bins)
    filled = counts[0] > 0
    return conf[0][filled] / counts[0][filled], hits[0][filled] / counts[0][filled]


def reliability_figure(spec: dict, metric: str) -> str:
    variants = evaluated_variants(spec)
    bins = _bins(spec, metric)
    baseline = _curve(_items(spec, "baseline", metric), bins)
    with figure_style():
        figure = Figure(figsize=(INCHES * max(len(variants), 1), INCHES + 0.4))
        for i, variant in enumerate(variants):
            ax = figure.add_subplot(1, len(variants), i + 1)
            ax.plot([0, 1], [0, 1], color="#bbbbbb", linewidth=0.8, linestyle=":")
            ax.plot(*baseline, marker="o", markersize=3, color=BASELINE_COLOR, label="baseline")
            ax.plot(*_curve(_items(spec, variant, metric), bins), marker="o", markersize=3,
                    color=FAIL_COLOR, label=variant)
            ax.set_xlim(0, 1.02)
            ax.set_ylim(-0.02, 1.02)
            ax.set_title(variant)
            ax.set_xlabel("mean confidence (max p) in bin")
            if i == 0:
                ax.set_ylabel("accuracy in bin")
            ax.legend(loc="upper left", fontsize=7, frameon=False)
        figure.tight_layout()
        return svg_element(figure, f"reliability:{metric}")


def _by_third(items: list[dict]) -> tuple[list[float], list[float]]:
    columns = item_columns(items)
    ones = np.ones((1, len(items)))
    return tuple(
        [dist.mean_in_bin(columns["reference_confidence"], columns[shift], ones, len(THIRDS), k)[0]
         for k in range(len(THIRDS))]
        for shift in ("js_divergence", "flip_rate")
    )


def shift_figure(spec: dict, metric: str) -> str:
    variants = evaluated_variants(spec)
    x = np.arange(len(THIRDS))
    width = 0.8 / max(len(variants), 1)
    colors = [PASS_COLOR, FAIL_COLOR, "#2c6fbb", "#8e44ad", "#d68910", "#117a65"]
    with figure_style():
        figure = Figure(figsize=(2 * INCHES + 1, INCHES + 0.4))
        axes = (figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2))
        for i, variant in enumerate(variants):
            values = _by_third(_items(spec, variant, metric))
            for ax, ys in zip(axes, values):
                ax.bar(x + (i - (len(variants) - 1) / 2) * width, np.nan_to_num(ys), width,
                       label=variant, color=colors[i % len(colors)])
        for ax, title in zip(axes, ("mean JS divergence from the baseline (bits)", "answer flip rate")):
            ax.set_xticks(x, [f"{t}\n(baseline's confidence)" if t == "middle" else t for t in THIRDS])
            ax.set_title(title)
        axes[0].legend(fontsize=7, frameon=False)
        figure.tight_layout()
        return svg_element(figure, f"shift:{metric}")
