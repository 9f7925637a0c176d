"""VADER sentiment of a text: the compound score in [-1, 1], and BOLD's three-level version.

VADER is a lexicon and rules, so it runs offline and scores one text at a time (it has no
batched form). The three-level mapping is the one the BOLD paper uses to call a text
positive (compound >= 0.5), negative (compound <= -0.5) or neutral.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.classifiers.base import packaged_files_identity
from engine.classifiers.registry import SCORERS

POSITIVE_AT = 0.5
NEGATIVE_AT = -0.5
_LEXICONS = ("vaderSentiment/vader_lexicon.txt", "vaderSentiment/emoji_utf8_lexicon.txt")


def three_level(compound: float) -> int:
    if compound >= POSITIVE_AT:
        return 1
    if compound <= NEGATIVE_AT:
        return -1
    return 0


@SCORERS.decorator("vader_compound")
class VaderCompound:
    name = "vader_compound"

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer = SentimentIntensityAnalyzer()
        self.identity = f"{self.name} {packaged_files_identity('vaderSentiment', _LEXICONS)}"

    def score(self, texts: Sequence[str]) -> list[float]:
        return [float(self._analyzer.polarity_scores(text)["compound"]) for text in texts]


@SCORERS.decorator("vader_3level")
class VaderThreeLevel:
    name = "vader_3level"

    def __init__(self) -> None:
        self._compound = VaderCompound()
        self.identity = f"{self.name} positive>={POSITIVE_AT} negative<={NEGATIVE_AT} {self._compound.identity}"

    def score(self, texts: Sequence[str]) -> list[float]:
        return [float(three_level(c)) for c in self._compound.score(texts)]
