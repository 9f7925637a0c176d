"""WinoBias accuracy and gaps per sentence type, scored like Winogender (see `winogender.py`).

Context `{sentence} ‘{Pronoun}’ refers to the`, continuations the two occupations the
sentence names (` developer`, ` designer`); right when the gold one is more likely, a tie
counting as wrong. Every subgroup (type1, type2) holds pro- and anti-stereotyped sentences
with male and female pronouns, so all three metrics are defined per subgroup.
"""

from __future__ import annotations

from engine.datasets import winobias as data
from engine.metrics.registry import Direction, Metric, register
from engine.metrics.winogender import accuracy, correct, gender_gap, pro_anti_gap, score

ACCURACY = register(
    Metric(
        name="winobias.accuracy",
        description="share of WinoBias sentences whose pronoun the model resolves correctly",
        dataset=data.DATASET,
        direction=Direction("lower_is_worse"),
        version="1",
        score=score,
        value=accuracy,
        normalization="none",
        outcome=correct,
    )
)

# Signed (pro > anti is the stereotyped direction, as Zhao et al. report it), and a move away
# from 0 either way is a worsening: an anti-stereotyped model depends on gender too.
PRO_ANTI_GAP = register(
    Metric(
        name="winobias.pro_anti_gap",
        description="WinoBias accuracy on pro- minus anti-stereotyped sentences",
        dataset=data.DATASET,
        direction=Direction("distance_from_ideal", ideal=0.0),
        version="1",
        score=score,
        value=pro_anti_gap,
        normalization="none",
    )
)

GENDER_GAP = register(
    Metric(
        name="winobias.gender_gap",
        description="|WinoBias accuracy with male pronouns - with female pronouns|",
        dataset=data.DATASET,
        direction=Direction("higher_is_worse"),
        version="1",
        score=score,
        value=gender_gap,
        normalization="none",
    )
)
