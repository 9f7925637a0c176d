"""Probability that a text is offensive, from alt-profanity-check's bundled linear classifier.

It ships its vectorizer and model inside the package, so it works offline out of the box;
importing it loads both (about 1.5 s), which is why the import waits until the scorer is built.
Its outputs depend on scikit-learn as well as on the two bundled files.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.classifiers.base import distribution_version, packaged_files_identity
from engine.classifiers.registry import SCORERS

_BUNDLED = ("profanity_check/data/vectorizer.joblib", "profanity_check/data/model.joblib")


@SCORERS.decorator("profanity_check")
class ProfanityCheck:
    name = "profanity_check"

    def __init__(self) -> None:
        from profanity_check import predict_prob

        self._predict_prob = predict_prob
        self.identity = " ".join(
            [self.name, packaged_files_identity("alt-profanity-check", _BUNDLED), distribution_version("scikit-learn")]
        )

    def score(self, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        return [float(p) for p in self._predict_prob(list(texts))]
