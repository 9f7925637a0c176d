"""Text classifier scores of many texts, cached in the results store like every other score.

A check names its scorer as a `ScorerChoice` (name and options, hashable, so it can be part
of a check's scoring options). Texts are scored once each: the distinct texts are sorted and
cut into fixed chunks, and each chunk is cached under a hash of the scorer's `identity`
(library versions and content hashes of its files) and its texts. A chunk is always scored
as one list, so it meets the same neighbours in a classifier's batches and a resumed run
gives bit-identical scores.

Building a scorer is what tells its identity, so it is built even when every chunk is cached;
a `TextScorers` builds each choice once and keeps it: the run context owns one, so the
baseline and every variant of every spec in a run share it, and nothing is kept per process.
Cheap scorers (VADER) go through the same cache, so every score in a record has one origin.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from engine.classifiers.base import Scorer
from engine.classifiers.registry import get_scorer
from engine.store import ResultStore

TEXT_SCORES_VERSION = "text-scores-1"
CHUNK = 256

ScorerOption = tuple[str, Any]


@dataclass(frozen=True)
class ScorerChoice:
    name: str
    options: tuple[ScorerOption, ...] = ()  # sorted (option, value) pairs; paths resolved

    def describe(self) -> dict:
        return {"name": self.name, "options": dict(self.options)}


class TextScorers:
    """The text classifiers of one run, each built once, scoring through the run's store."""

    def __init__(self, store: ResultStore) -> None:
        self.store = store
        self._built: dict[ScorerChoice, Scorer] = {}

    def scorer(self, choice: ScorerChoice) -> Scorer:
        if choice not in self._built:
            self._built[choice] = get_scorer(choice.name, dict(choice.options))
        return self._built[choice]

    def scores(
        self,
        choice: ScorerChoice,
        texts: Sequence[str],
        progress: Callable[[int, int], None] | None = None,
    ) -> list[float]:
        """The score of each text, in input order."""
        scorer = self.scorer(choice)
        distinct = sorted(set(texts))
        scored: dict[str, float] = {}
        for start in range(0, len(distinct), CHUNK):
            chunk = distinct[start : start + CHUNK]
            key = _chunk_key(scorer.identity, chunk)
            stored = self.store.get(key)
            if stored is None:
                stored = scorer.score(chunk)
                self.store.put(key, stored)
            scored.update(zip(chunk, map(float, stored)))
            if progress:
                progress(len(scored), len(distinct))
        return [scored[t] for t in texts]


def _chunk_key(identity: str, chunk: Sequence[str]) -> str:
    payload = json.dumps([TEXT_SCORES_VERSION, identity, list(chunk)])
    return "text-scores/" + hashlib.sha256(payload.encode()).hexdigest()
