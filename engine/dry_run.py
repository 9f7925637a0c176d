"""What scoring a metric's examples would compute, counted without a model.

A metric's own `score` runs against a language model whose results store answers every
batch with placeholders, so the real request building, de-duplication, packing and
batching run and nothing is computed. Each answered batch is one forward pass (one
`generate` call for generation), and each placeholder taken is one scored sequence or one
generated prompt. No per-metric table is kept: a new metric is counted as it scores. A batch
already answered costs nothing again, as in a run, where the cache holds it: checks that
score the same requests (StereoSet's metrics, WinoBias's) count once.

Tokens are approximated by words and punctuation (with their leading space, as byte-level
BPE splits them): the counts of sequences and prompts are exact, the number of batches is
close (packing pairs sequences by shared leading tokens).
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.datasets.base import Example
from engine.metrics.registry import Metric, ScoringOptions
from engine.scoring.lm import LanguageModel

_PIECE = re.compile(r" ?\w+| ?[^\w\s]+|\s+")

# The value each kind of store entry holds for one member of a batch.
_PLACEHOLDERS = {
    "ll": [0.0, 1, False],  # logprob, n_tokens, is_greedy
    "gen": ["", [], False],  # text, token_ids, stopped_at_eos
    "text-scores": 0.0,
}


@dataclass(frozen=True)
class ScoringCount:
    sequences: int = 0  # log-likelihood requests after de-duplication
    batches: int = 0  # log-likelihood forward passes
    prompts: int = 0  # distinct continuations generated (a prompt once per sample)
    generate_calls: int = 0  # batched generate calls
    max_new_tokens: int = 0  # per prompt, for generation

    @property
    def max_generated_tokens(self) -> int:
        return self.prompts * self.max_new_tokens

    def __add__(self, other: ScoringCount) -> ScoringCount:
        return ScoringCount(
            self.sequences + other.sequences,
            self.batches + other.batches,
            self.prompts + other.prompts,
            self.generate_calls + other.generate_calls,
            max(self.max_new_tokens, other.max_new_tokens),
        )


class _WordTokenizer:
    bos_token_id = 0
    eos_token_id = 0

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        return [self._ids.setdefault(piece, len(self._ids) + 1) for piece in _PIECE.findall(text)]


class _PlaceholderStore:
    """Answers every key; counts new batches per kind and the members each one took."""

    def __init__(self) -> None:
        self.answered: set[str] = set()
        self.batches: Counter[str] = Counter()
        self.members: Counter[str] = Counter()

    def get(self, key: str) -> Any:
        kind = key.split("/", 1)[0]
        if key in self.answered:
            return itertools.repeat(_PLACEHOLDERS[kind])
        self.answered.add(key)
        self.batches[kind] += 1
        return self._members(kind)

    def _members(self, kind: str):
        while True:
            self.members[kind] += 1
            yield _PLACEHOLDERS[kind]

    def put(self, key: str, value: Any) -> None:
        raise AssertionError("a dry run computes nothing, so it stores nothing")


def _no_backend() -> Any:
    raise AssertionError("a dry run never loads a model")


class DryRun:
    """One model's scoring of several checks, counted; one per spec, so that what checks
    share is counted once."""

    def __init__(self, batch_size: int) -> None:
        self._store = _PlaceholderStore()
        self._lm = LanguageModel(
            tokenizer=_WordTokenizer(),
            batch_size=batch_size,
            identity="dry-run",
            store=self._store,  # type: ignore[arg-type]
            load_backend=_no_backend,
        )

    def count(self, metric: Metric, examples: Sequence[Example], options: ScoringOptions) -> ScoringCount:
        """The work scoring these examples adds to what this dry run has already counted."""
        store = self._store
        before = (store.members["ll"], store.batches["ll"], store.members["gen"], store.batches["gen"])
        # Text classifiers score generated text, not the model's work, and building one may
        # load its own model; sentiment is still computed, on placeholders, by VADER.
        metric.score(self._lm, examples, dataclasses.replace(options, scorer=None), None)
        after = (store.members["ll"], store.batches["ll"], store.members["gen"], store.batches["gen"])
        sequences, batches, prompts, calls = (a - b for a, b in zip(after, before))
        generation = options.generation
        return ScoringCount(
            sequences, batches, prompts, calls, generation.max_new_tokens if prompts and generation else 0
        )
