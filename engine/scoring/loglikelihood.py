"""Batched log-likelihood of continuations given contexts, as lm-evaluation-harness defines it.

A request (context, continuation) is encoded the way lm-evaluation-harness's HFLM does for
causal models: without special tokens; an empty context becomes the single prefix token (BOS,
else EOS, unless the spec names `prefix_token`); trailing spaces of a context move to the
continuation. The result is the sum of the continuation's token log-probabilities, with no
length normalisation.

Identical requests are scored once, and requests sharing a long prefix are packed into one
row (`packing.py`); the model's backend computes a batch of rows. Rows are sorted by width and cut into fixed batches, and each batch is
cached under a hash of the model identity and its token ids: a batch is always computed with
the same neighbours, so a resumed run gives bit-identical numbers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Callable, Literal, Sequence

from engine.scoring.backend import LLResult
from engine.scoring.lm import LanguageModel
from engine.scoring.packing import Row, Seq, plan_rows

SCORING_VERSION = "ll-2"

# How log-likelihoods of continuations of different lengths are made comparable:
# "none" sums token log-probs (lm-evaluation-harness `acc`), "per_token" divides by the
# continuation's token count (its tokenizer-dependent mean), "per_byte" by its UTF-8 bytes
# (lm-evaluation-harness `acc_bytes`; equal to its character-based `acc_norm` on ASCII text).
Normalization = Literal["none", "per_token", "per_byte"]
NORMALIZATIONS: tuple[Normalization, ...] = ("none", "per_token", "per_byte")


@dataclass(frozen=True)
class LLRequest:
    context: str
    continuation: str


def split_sizes(results: Sequence[LLResult], sizes: Sequence[int]) -> list[Sequence[LLResult]]:
    """Results of requests made example by example, cut back into one run per example."""
    out, offset = [], 0
    for size in sizes:
        out.append(results[offset : offset + size])
        offset += size
    return out


def normalized(result: LLResult, continuation: str, how: Normalization) -> float:
    if how == "none":
        return result.logprob
    if how == "per_token":
        return result.logprob / result.n_tokens
    return result.logprob / len(continuation.encode("utf-8"))


def encode_request(lm: LanguageModel, request: LLRequest) -> tuple[tuple[int, ...], int]:
    """Token ids of context+continuation, and how many of them belong to the continuation."""
    context, continuation = request.context, request.continuation
    if context == "":
        cont = lm.encode(continuation)
        return (lm.prefix_token_id, *cont), len(cont)
    n_spaces = len(context) - len(context.rstrip())
    if n_spaces:
        continuation = context[-n_spaces:] + continuation
        context = context[:-n_spaces]
    whole = lm.encode_context(context + continuation)
    n_context = len(lm.encode_context(context))
    return tuple(whole), len(whole) - n_context


def loglikelihood(
    lm: LanguageModel,
    requests: Sequence[LLRequest],
    progress: Callable[[int, int], None] | None = None,
) -> list[LLResult]:
    encoded = [encode_request(lm, r) for r in requests]
    rows = plan_rows(encoded, lm.max_packed_width, lm.packing)
    rows.sort(key=lambda r: (-r.width, r.members))
    batches = [rows[i : i + lm.batch_size] for i in range(0, len(rows), lm.batch_size)]
    total = sum(len(r.members) for r in rows)
    scored: dict[Seq, LLResult] = {}
    done = 0
    for batch in batches:
        key = _batch_key(lm, batch)
        stored = lm.store.get(key)
        if stored is None:
            stored = [[r.logprob, r.n_tokens, r.is_greedy] for r in lm.backend.loglikelihoods(batch)]
            lm.store.put(key, stored)
            lm.batches_computed += 1
        else:
            lm.cache_hits += 1
        members = [m for row in batch for m in row.members]
        for item, (logprob, n_tokens, greedy) in zip(members, stored):
            scored[item] = LLResult(float(logprob), int(n_tokens), bool(greedy))
        done += len(members)
        if progress:
            progress(done, total)
    return [scored[e] for e in encoded]


def _batch_key(lm: LanguageModel, batch: Sequence[Row]) -> str:
    layout = [[r.shared, [list(t) + [n] for t, n in r.members]] for r in batch]
    payload = json.dumps([SCORING_VERSION, lm.identity, layout])
    return "ll/" + hashlib.sha256(payload.encode()).hexdigest()
