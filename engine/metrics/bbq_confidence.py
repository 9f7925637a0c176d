"""BBQ's answer distributions: confidence, calibration and shift from the baseline, per
category (see `confidence`). The three answers are scored as for BBQ's accuracy and bias
metrics (the same requests, so a spec with both scores them once); the gold answer is the
item's label ("unknown" in ambiguous contexts)."""

from __future__ import annotations

from typing import Sequence

from engine.datasets import bbq as data
from engine.datasets.base import Example
from engine.metrics import bbq
from engine.metrics.confidence import ChoiceRecord, register_family
from engine.metrics.registry import ScoringOptions


def choices(lm, examples: Sequence[Example], options: ScoringOptions, progress=None) -> list[ChoiceRecord]:
    return [
        {"ll": r["ll"], "gold": r["label"]}
        for r in bbq.score(lm, examples, ScoringOptions(normalization="none"), progress)
    ]


METRICS = register_family("bbq", "BBQ", data.DATASET, choices)
