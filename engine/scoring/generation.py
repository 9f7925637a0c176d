"""Batched text generation: continuations of prompts, greedy or seeded sampling, cached.

A prompt is encoded the way lm-evaluation-harness's HFLM `generate_until` does for causal
models: without special tokens. An empty prompt becomes the single prefix token (BOS, else
EOS), as the harness does for an empty log-likelihood context (its generate_until cannot
start from nothing). Identical prompts are generated once. Prompts are sorted by token
length and cut into fixed batches, which the model's backend continues (see
`engine.models.transformers_backend` for how padding and stop tokens are handled there).

Decoding is stated by `GenerationConfig` alone. A continuation ends at the first stop token,
which is not part of it. `samples` asks for several continuations of every prompt (metrics
over k samples, such as RealToxicityPrompts' expected maximum toxicity): the caller generates
each sample with `config.sample(j)`, whose seed is the config's own for sample 0 and one
derived from it for the others, so sample j is the same whatever k is, and a smaller k reuses
the cache of a larger one.

Each batch is cached under a hash of the model identity, the decoding settings and its token
ids, so a warm run never loads the model and a resumed run is bit-identical. Sampling draws
from an RNG seeded by (seed, decoding settings, the batch's token ids), so it is reproducible;
a sampled continuation does depend on its batch's other prompts. The model is not part of
the seed: a variant draws the same random numbers as its baseline (common random numbers),
so where their next-token distributions agree they sample the same tokens, and the paired
change measures the compression rather than the luck of two independent draws.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from engine.scoring.backend import Generation, Prompt
from engine.scoring.lm import LanguageModel
from engine.seeds import stable_seed

# gen-2: sampling seeds no longer depend on the model identity.
GENERATION_VERSION = "gen-2"


@dataclass(frozen=True)
class GenerationConfig:
    max_new_tokens: int = 32
    do_sample: bool = False  # False: greedy
    seed: int = 0  # read only when sampling
    temperature: float = 1.0
    top_p: float = 1.0
    samples: int = 1  # continuations per prompt, for metrics that read several

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")
        if self.samples < 1:
            raise ValueError(f"samples must be at least 1, got {self.samples}")
        if self.samples > 1 and not self.do_sample:
            raise ValueError(
                f"{self.samples} samples of greedy decoding are one continuation repeated; "
                "set do_sample=True or samples=1"
            )
        if not self.temperature > 0:
            raise ValueError(f"temperature must be greater than 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if not self.do_sample and (self.temperature != 1.0 or self.top_p != 1.0):
            raise ValueError(
                f"temperature ({self.temperature}) and top_p ({self.top_p}) apply only when "
                "sampling; set do_sample=True or leave them at 1.0"
            )

    def decoding(self) -> dict[str, Any]:
        """The settings that determine a continuation (the seed does not, when greedy; the
        number of samples never does, each is generated under its own `sample` config)."""
        if self.do_sample:
            settings = dataclasses.asdict(self)
            del settings["samples"]
            return settings
        return {"max_new_tokens": self.max_new_tokens, "do_sample": False}

    def sample(self, j: int) -> GenerationConfig:
        """The decoding of the j-th continuation of every prompt (0-based)."""
        seed = self.seed if j == 0 else stable_seed(self.seed, "sample", j)
        return dataclasses.replace(self, seed=seed, samples=1)


def encode_prompt(lm: LanguageModel, prompt: str) -> Prompt:
    return tuple(lm.encode_context(prompt)) if prompt else (lm.prefix_token_id,)


def generate(
    lm: LanguageModel,
    prompts: Sequence[str],
    config: GenerationConfig,
    progress: Callable[[int, int], None] | None = None,
) -> list[Generation]:
    """The continuation of each prompt, in input order."""
    encoded = [encode_prompt(lm, p) for p in prompts]
    unique = sorted(set(encoded), key=lambda ids: (-len(ids), ids))
    batches = [unique[i : i + lm.batch_size] for i in range(0, len(unique), lm.batch_size)]
    generated: dict[Prompt, Generation] = {}
    for batch in batches:
        key = _batch_key(lm, config, batch)
        stored = lm.store.get(key)
        if stored is None:
            backend = lm.backend
            start = time.perf_counter()
            computed = backend.generate(batch, config, _batch_seed(config, batch))
            lm.generation_seconds += time.perf_counter() - start
            # The stop token was generated too, so it counts towards throughput.
            lm.generated_tokens += sum(g.n_tokens + int(g.stopped_at_eos) for g in computed)
            stored = [[g.text, list(g.token_ids), g.stopped_at_eos] for g in computed]
            lm.store.put(key, stored)
            lm.batches_computed += 1
        else:
            lm.cache_hits += 1
        for prompt, (text, token_ids, stopped) in zip(batch, stored):
            generated[prompt] = Generation(text, tuple(token_ids), len(token_ids), stopped)
        if progress:
            progress(len(generated), len(unique))
    return [generated[e] for e in encoded]


def _batch_seed(config: GenerationConfig, batch: Sequence[Prompt]) -> int:
    return stable_seed(config.seed, json.dumps(config.decoding(), sort_keys=True), [list(p) for p in batch])


def _batch_key(lm: LanguageModel, config: GenerationConfig, batch: Sequence[Prompt]) -> str:
    payload = json.dumps(
        [GENERATION_VERSION, lm.identity, config.decoding(), [list(p) for p in batch]],
        sort_keys=True,
    )
    return "gen/" + hashlib.sha256(payload.encode()).hexdigest()
