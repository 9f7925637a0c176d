"""WinoBias accuracy and gaps per sentence type (see `coreference`).

Continuations are the two occupations the sentence names (` developer`, ` designer`). Every
subgroup (type1, type2) holds pro- and anti-stereotyped sentences with male and female
pronouns, so all three metrics are defined per subgroup.
"""

from __future__ import annotations

from engine.datasets import winobias as data
from engine.metrics.coreference import register_family

ACCURACY, PRO_ANTI_GAP, GENDER_GAP = register_family(
    "winobias", "WinoBias", data.DATASET, data.DATASET, pro_anti="pro- minus anti-stereotyped"
)
