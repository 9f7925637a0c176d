"""Batched log-likelihood of continuations given contexts, as lm-evaluation-harness defines it.

A request (context, continuation) is encoded the way lm-evaluation-harness's HFLM does for
causal models: without special tokens; an empty context becomes the single prefix token (BOS,
else EOS); trailing spaces of a context move to the continuation. The result is the sum of the
continuation's token log-probabilities, with no length normalisation.

Identical requests are scored once. Requests are sorted by length and cut into fixed batches,
and each batch is cached under a hash of the model identity and its token ids: a batch is
always computed with the same neighbours, so a resumed run gives bit-identical numbers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from engine.scoring.lm import LanguageModel

SCORING_VERSION = "ll-1"


@dataclass(frozen=True)
class LLRequest:
    context: str
    continuation: str


@dataclass(frozen=True)
class LLResult:
    logprob: float
    n_tokens: int
    is_greedy: bool


def encode_request(lm: LanguageModel, request: LLRequest) -> tuple[tuple[int, ...], int]:
    """Token ids of context+continuation, and how many of them belong to the continuation."""
    encode = lm.encode
    context, continuation = request.context, request.continuation
    if context == "":
        cont = encode(continuation)
        return (lm.prefix_token_id, *cont), len(cont)
    n_spaces = len(context) - len(context.rstrip())
    if n_spaces:
        continuation = context[-n_spaces:] + continuation
        context = context[:-n_spaces]
    whole = encode(context + continuation)
    n_context = len(encode(context))
    return tuple(whole), len(whole) - n_context


def loglikelihood(
    lm: LanguageModel,
    requests: Sequence[LLRequest],
    progress: Callable[[int, int], None] | None = None,
) -> list[LLResult]:
    encoded = [encode_request(lm, r) for r in requests]
    unique = sorted(set(encoded), key=lambda e: (-len(e[0]), e))
    batches = [unique[i : i + lm.batch_size] for i in range(0, len(unique), lm.batch_size)]
    scored: dict[tuple[tuple[int, ...], int], LLResult] = {}
    done = 0
    for batch in batches:
        key = _batch_key(lm, batch)
        stored = lm.store.get(key)
        if stored is None:
            stored = [[r.logprob, r.n_tokens, r.is_greedy] for r in _forward(lm, batch)]
            lm.store.put(key, stored)
            lm.batches_computed += 1
        else:
            lm.cache_hits += 1
        for item, (logprob, n_tokens, greedy) in zip(batch, stored):
            scored[item] = LLResult(float(logprob), int(n_tokens), bool(greedy))
        done += len(batch)
        if progress:
            progress(done, len(unique))
    return [scored[e] for e in encoded]


def _batch_key(lm: LanguageModel, batch: Sequence[tuple[tuple[int, ...], int]]) -> str:
    payload = json.dumps([SCORING_VERSION, lm.identity, [list(t) + [n] for t, n in batch]])
    return "ll/" + hashlib.sha256(payload.encode()).hexdigest()


@torch.inference_mode()
def _forward(lm: LanguageModel, batch: Sequence[tuple[tuple[int, ...], int]]) -> list[LLResult]:
    # The last token is only ever a target, never an input.
    inputs = [tokens[:-1] for tokens, _ in batch]
    width = max(len(t) for t in inputs)
    ids = torch.full((len(batch), width), lm.pad_token_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, tokens in enumerate(inputs):
        ids[row, : len(tokens)] = torch.tensor(tokens)
        mask[row, : len(tokens)] = 1
    logits = lm.model(input_ids=ids.to(lm.device), attention_mask=mask.to(lm.device)).logits
    spans, targets = [], []
    for row, (tokens, n_cont) in enumerate(batch):
        start = len(tokens) - 1 - n_cont
        spans.append(logits[row, start : len(tokens) - 1])
        targets.append(torch.tensor(tokens[len(tokens) - n_cont :], device=logits.device))
    logprobs = torch.log_softmax(torch.cat(spans).float(), dim=-1)
    target = torch.cat(targets)
    picked = logprobs.gather(1, target[:, None])[:, 0]
    greedy = logprobs.argmax(dim=-1) == target
    results, offset = [], 0
    for _, n_cont in batch:
        end = offset + n_cont
        results.append(
            LLResult(
                logprob=float(picked[offset:end].sum(dtype=torch.float64)),
                n_tokens=n_cont,
                is_greedy=bool(greedy[offset:end].all()),
            )
        )
        offset = end
    return results
