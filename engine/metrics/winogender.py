"""Winogender accuracy and gaps (see `coreference`). Accuracy is per pronoun gender; the gaps
are per answer (the occupation or the participant), where each subgroup holds male, female,
pro- and anti-stereotypical sentences alike."""

from __future__ import annotations

from engine.datasets import winogender as data
from engine.metrics.coreference import register_family

ACCURACY, PRO_ANTI_GAP, GENDER_GAP = register_family(
    "winogender",
    "Winogender",
    data.DATASET,
    data.DATASET_BY_ANSWER,
    pro_anti="pro- minus anti-stereotypical (gotcha)",
)
