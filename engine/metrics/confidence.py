"""Confidence and distribution shift on multiple-choice items (Proskurina et al.): what a
compression changes in how sure the model is, even where its answers and bias scores stay.

A data set's multiple-choice score function gives each item's per-choice log-likelihoods
and gold answer; `confidence_score` turns them into the item's answer distribution
p = softmax(log-likelihoods) and pairs it with the baseline's distribution of the same item
(the baseline is its own reference). `register_family` registers, for one data set:

- `<d>.confidence` mean max p (lower is worse: a loss of confidence);
- `<d>.gold_probability` mean p of the gold answer (lower is worse);
- `<d>.entropy` mean entropy of p in nats (higher is worse: less certain);
- `<d>.calibration_error` ECE over equal-mass bins of max p (the check's `bins`, default 10):
  sum over bins of (size / N) |mean max p - accuracy| (higher is worse);
- `<d>.js_divergence` mean Jensen-Shannon divergence in bits between the baseline's and the
  model's p, and `<d>.js_divergence_p90` its 90th percentile (higher is worse; the baseline
  is 0 against itself);
- `<d>.flip_rate` share of items whose answer (argmax p) differs from the baseline's;
- for confidence, divergence and flips, the same over the third of a subgroup's items where
  the baseline was least sure (`_uncertain`), in the middle (`_middle`) and most sure
  (`_confident`): equal-mass thirds by the baseline's max p, so the three show where a shift
  concentrates.
"""

from __future__ import annotations

from typing import Callable, Sequence, TypedDict

import numpy as np

from engine.datasets.base import DatasetModule, Example
from engine.metrics import distributions as dist
from engine.metrics import weighted
from engine.metrics.registry import Direction, Metric, ScoringOptions, register
from engine.metrics.weighted import Weights, resamplable

DEFAULT_BINS = 10
THIRDS = ("uncertain", "middle", "confident")
P90 = 0.9
VERSION = "1"

class ChoiceRecord(TypedDict):
    ll: list[float]  # per answer choice, in the data set's order
    gold: int


# (lm, examples, options, progress) -> per item, its answers' log-likelihoods and the gold one
ChoiceScore = Callable[..., list[ChoiceRecord]]


class ConfidenceRecord(ChoiceRecord):
    p: list[float]  # the answer distribution: softmax of `ll`
    answer: int | None  # None where a log-likelihood is not finite
    reference_p: list[float]  # the baseline's distribution (its own, for the baseline)
    reference_answer: int | None


def confidence_score(choices: ChoiceScore) -> Callable[..., list[ConfidenceRecord]]:
    """A `reference` score function: the item's answer distribution beside the baseline's."""

    def score(
        lm, examples: Sequence[Example], options: ScoringOptions, progress=None, reference=None
    ) -> list[ConfidenceRecord]:
        records = []
        for i, item in enumerate(choices(lm, examples, options, progress)):
            p = dist.answer_distribution(item["ll"])
            q = p if reference is None else reference[i]["p"]
            records.append(
                {
                    "ll": item["ll"],
                    "gold": item["gold"],
                    "p": p,
                    "answer": dist.answer(p),
                    "reference_p": q,
                    "reference_answer": dist.answer(q),
                }
            )
        return records

    score.__qualname__ = f"confidence_score({choices.__module__}.{choices.__qualname__})"
    return score


def item_columns(records: Sequence[ConfidenceRecord]) -> dict[str, np.ndarray]:
    """Per item: its confidence, gold probability, entropy, correctness, divergence from and
    flip against the baseline, and the baseline's confidence."""
    def per_item(fn) -> np.ndarray:
        return np.array([fn(r) for r in records], dtype=float)

    return {
        "confidence": per_item(lambda r: dist.confidence(r["p"])),
        "gold_probability": per_item(lambda r: r["p"][r["gold"]]),
        "entropy": per_item(lambda r: dist.entropy_nats(r["p"])),
        "correct": per_item(lambda r: _unless_missing(r["answer"] == r["gold"], r["answer"])),
        "js_divergence": per_item(lambda r: dist.js_divergence(r["reference_p"], r["p"])),
        "flip_rate": per_item(
            lambda r: _unless_missing(r["answer"] != r["reference_answer"], r["answer"], r["reference_answer"])
        ),
        "reference_confidence": per_item(lambda r: dist.confidence(r["reference_p"])),
    }


def _unless_missing(judgement: bool, *answers: int | None) -> float:
    """A yes/no judgement about answers, NaN where one of them is missing (so the subgroup's
    value is NaN and the item fails instead of counting a broken answer)."""
    return np.nan if any(a is None for a in answers) else float(judgement)


def _mean_of(column: str) -> Callable:
    @resamplable
    def value(records: Sequence[ConfidenceRecord], weights: Weights) -> np.ndarray:
        return weighted.mean(item_columns(records)[column], weights)

    return value


def _third_of(column: str, which: int) -> Callable:
    @resamplable
    def value(records: Sequence[ConfidenceRecord], weights: Weights) -> np.ndarray:
        c = item_columns(records)
        return dist.mean_in_bin(c["reference_confidence"], c[column], weights, len(THIRDS), which)

    return value


@resamplable
def calibration_error(records: Sequence[ConfidenceRecord], weights: Weights, bins: int = DEFAULT_BINS) -> np.ndarray:
    """Over `bins` equal-mass bins, the check's option. Records of earlier runs carry their
    bins too; that copy is not read."""
    c = item_columns(records)
    return dist.calibration_error(c["confidence"], c["correct"], weights, bins)


@resamplable
def js_divergence_p90(records: Sequence[ConfidenceRecord], weights: Weights) -> np.ndarray:
    return dist.quantile(item_columns(records)["js_divergence"], weights, P90)


LOWER_IS_WORSE = Direction("lower_is_worse")
HIGHER_IS_WORSE = Direction("higher_is_worse")

# (name, description, direction, split by the baseline's confidence)
MEANS = (
    ("confidence", "mean confidence (max p over the answers)", LOWER_IS_WORSE, True),
    ("gold_probability", "mean probability of the gold answer", LOWER_IS_WORSE, False),
    ("entropy", "mean entropy of the answer distribution (nats)", HIGHER_IS_WORSE, False),
    ("js_divergence", "mean Jensen-Shannon divergence from the baseline's answer "
     "distribution (bits)", HIGHER_IS_WORSE, True),
    ("flip_rate", "share of items whose answer differs from the baseline's", HIGHER_IS_WORSE, True),
)


def register_family(prefix: str, title: str, dataset: DatasetModule, choices: ChoiceScore) -> list[Metric]:
    """The confidence and distribution-shift metrics of one multiple-choice data set."""
    score = confidence_score(choices)

    def metric(name: str, description: str, direction: Direction, value, bins=None) -> Metric:
        return register(
            Metric(
                name=f"{prefix}.{name}",
                description=f"{title}: {description}",
                dataset=dataset,
                direction=direction,
                version=VERSION,
                score=score,
                value=value,
                reference=True,
                bins=bins,
            )
        )

    metrics = []
    for name, description, direction, split in MEANS:
        metrics.append(metric(name, description, direction, _mean_of(name)))
        if split:
            for which, third in enumerate(THIRDS):
                metrics.append(
                    metric(
                        f"{name}_{third}",
                        f"{description}, over the {third} third of items by the baseline's confidence",
                        direction,
                        _third_of(name, which),
                    )
                )
    metrics.append(
        metric(
            "calibration_error",
            "expected calibration error over equal-mass confidence bins (`bins`, default 10)",
            HIGHER_IS_WORSE,
            calibration_error,
            bins=DEFAULT_BINS,
        )
    )
    metrics.append(
        metric(
            "js_divergence_p90",
            "90th percentile of the Jensen-Shannon divergence from the baseline (bits)",
            HIGHER_IS_WORSE,
            js_divergence_p90,
        )
    )
    return metrics
