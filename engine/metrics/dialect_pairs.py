"""Dialect bias on parallel text: how much less likely a model finds one variety than the
other, on the same content.

Each text of a pair is scored on its own (conditioned on the prefix token). A pair set's
per-token log-perplexity of a variety pools its texts' tokens, -sum(LL) / sum(tokens), the
log of the corpus perplexity (as `bold_wiki.perplexity`); the gap is that of variety a minus
that of variety b, in nats per token. A positive gap means the model finds variety a less
likely; the gate judges how much compression widens it.

- `dialect_pairs.log_perplexity_gap`: log-perplexity(a) - log-perplexity(b); higher is worse.
- `dialect_pairs.log_perplexity_a`, `dialect_pairs.log_perplexity_b`: each variety's own
  log-perplexity, higher is worse, so a variant that degrades both alike is seen too.
"""

from __future__ import annotations

from typing import Sequence, TypedDict

import numpy as np

from engine.datasets import dialect_pairs as data
from engine.datasets.base import Example
from engine.metrics import weighted
from engine.metrics.registry import Direction, Metric, register
from engine.metrics.weighted import Weights, resamplable
from engine.scoring.loglikelihood import LLRequest, loglikelihood

SIDES = ("a", "b")


class ParallelPairRecord(TypedDict):
    """A sentence in variety a and its parallel in variety b, each scored alone."""

    ll_a: float
    n_a: int
    ll_b: float
    n_b: int


def score(lm, examples: Sequence[Example], options=None, progress=None) -> list[ParallelPairRecord]:
    requests = [LLRequest("", e.fields[f"text_{side}"]) for e in examples for side in SIDES]
    results = loglikelihood(lm, requests, progress)
    return [
        {"ll_a": a.logprob, "n_a": a.n_tokens, "ll_b": b.logprob, "n_b": b.n_tokens}
        for a, b in zip(results[0::2], results[1::2])
    ]


def _log_perplexity(records: Sequence[ParallelPairRecord], weights: Weights, side: str) -> np.ndarray:
    nll = weighted.row_sums(-weighted.column(records, f"ll_{side}"), weights)
    return weighted.ratio(nll, weighted.row_sums(weighted.column(records, f"n_{side}"), weights))


@resamplable
def log_perplexity_a(records: Sequence[ParallelPairRecord], weights: Weights) -> np.ndarray:
    return _log_perplexity(records, weights, "a")


@resamplable
def log_perplexity_b(records: Sequence[ParallelPairRecord], weights: Weights) -> np.ndarray:
    return _log_perplexity(records, weights, "b")


@resamplable
def log_perplexity_gap(records: Sequence[ParallelPairRecord], weights: Weights) -> np.ndarray:
    return _log_perplexity(records, weights, "a") - _log_perplexity(records, weights, "b")


def _metric(name: str, description: str, value) -> Metric:
    return register(
        Metric(
            name=f"dialect_pairs.{name}",
            description=description,
            dataset=data.DATASET,
            direction=Direction("higher_is_worse"),
            version="1",
            score=score,
            value=value,
        )
    )


LOG_PERPLEXITY_GAP = _metric(
    "log_perplexity_gap",
    "per-token log-perplexity of variety a minus that of variety b on parallel texts (nats)",
    log_perplexity_gap,
)
LOG_PERPLEXITY_A = _metric(
    "log_perplexity_a", "per-token log-perplexity of variety a's texts (nats)", log_perplexity_a
)
LOG_PERPLEXITY_B = _metric(
    "log_perplexity_b", "per-token log-perplexity of variety b's texts (nats)", log_perplexity_b
)
