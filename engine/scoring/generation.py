"""Batched text generation: continuations of prompts, greedy or seeded sampling, cached.

A prompt is encoded the way lm-evaluation-harness's HFLM `generate_until` does for causal
models: without special tokens. An empty prompt becomes the single prefix token (BOS, else
EOS), as the harness does for an empty log-likelihood context (its generate_until cannot
start from nothing). Identical prompts are generated once. Prompts are sorted by token
length and cut into fixed batches, left-padded with an attention mask; transformers derives
position ids from that mask, so padding does not shift a prompt's positions and a greedy
continuation in a batch equals the same prompt generated alone (up to float rounding of
batched matmuls; not under bitsandbytes LLM.int8, which picks outlier columns over the whole
batch, padding included).

Decoding is stated by `GenerationConfig` alone: from the model's own generation config only
the stop tokens are taken, never its sampling or penalty settings. A continuation ends at the
first stop token (the tokenizer's EOS and the model's EOS ids), which is not part of it.

Each batch is cached under a hash of the model identity, the decoding settings and its token
ids, so a warm run never loads the model and a resumed run is bit-identical. Sampling draws
from an RNG seeded by (seed, batch key) inside a forked RNG, so it is reproducible and leaves
the global RNG untouched; a sampled continuation does depend on its batch's other prompts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch

from engine.datasets.base import stable_seed
from engine.scoring.lm import LanguageModel

GENERATION_VERSION = "gen-1"

Prompt = tuple[int, ...]


@dataclass(frozen=True)
class GenerationConfig:
    max_new_tokens: int = 32
    do_sample: bool = False  # False: greedy
    seed: int = 0  # read only when sampling
    temperature: float = 1.0
    top_p: float = 1.0

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")
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
        """The settings that determine a continuation (the seed does not, when greedy)."""
        if self.do_sample:
            return dataclasses.asdict(self)
        return {"max_new_tokens": self.max_new_tokens, "do_sample": False}


@dataclass(frozen=True)
class Generation:
    text: str  # special tokens skipped
    token_ids: tuple[int, ...]  # the stop token excluded
    n_tokens: int
    stopped_at_eos: bool


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
            model = lm.model
            start = time.perf_counter()
            computed = _generate_batch(lm, model, batch, config, key)
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


def _batch_key(lm: LanguageModel, config: GenerationConfig, batch: Sequence[Prompt]) -> str:
    payload = json.dumps(
        [GENERATION_VERSION, lm.identity, config.decoding(), [list(p) for p in batch]],
        sort_keys=True,
    )
    return "gen/" + hashlib.sha256(payload.encode()).hexdigest()


def stop_token_ids(lm: LanguageModel, model: Any) -> list[int]:
    ids = {lm.tokenizer.eos_token_id}
    from_model = model.generation_config.eos_token_id
    ids.update(from_model if isinstance(from_model, list) else [from_model])
    return sorted(i for i in ids if i is not None)


def truncate_at_stop(
    tokenizer: Any, new_tokens: Sequence[int], stop_ids: Sequence[int]
) -> Generation:
    """A row of generated ids cut before its first stop token; what follows is padding."""
    end = next((i for i, token in enumerate(new_tokens) if token in stop_ids), None)
    kept = tuple(new_tokens if end is None else new_tokens[:end])
    text = tokenizer.decode(list(kept), skip_special_tokens=True)
    return Generation(text, kept, len(kept), end is not None)


@torch.inference_mode()
def _generate_batch(
    lm: LanguageModel, model: Any, batch: Sequence[Prompt], config: GenerationConfig, key: str
) -> list[Generation]:
    width = max(len(p) for p in batch)
    input_ids = torch.tensor([[lm.pad_token_id] * (width - len(p)) + list(p) for p in batch])
    attention_mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in batch])
    stop_ids = stop_token_ids(lm, model)
    place = torch.device(lm.device)
    accelerators = [] if place.type == "cpu" else [place]
    with torch.random.fork_rng(devices=accelerators, device_type=place.type):
        torch.manual_seed(stable_seed(config.seed, key))
        output = model.generate(
            input_ids=input_ids.to(place),
            attention_mask=attention_mask.to(place),
            generation_config=_transformers_config(config, stop_ids, lm.pad_token_id),
        )
    return [truncate_at_stop(lm.tokenizer, row, stop_ids) for row in output[:, width:].tolist()]


def _transformers_config(config: GenerationConfig, stop_ids: list[int], pad_token_id: int):
    """Every setting that could change the decoded tokens is stated here, because
    transformers fills unset ones from the checkpoint's generation_config.json."""
    from transformers import GenerationConfig as TransformersGenerationConfig

    settings: dict[str, Any] = {
        "max_new_tokens": config.max_new_tokens,
        "do_sample": config.do_sample,
        "num_beams": 1,
        "eos_token_id": stop_ids or None,
        "pad_token_id": pad_token_id,
        "repetition_penalty": 1.0,
        "no_repeat_ngram_size": 0,
        "min_new_tokens": 0,
        "use_cache": True,
    }
    if config.do_sample:
        # top_k=0 turns off transformers' default top-k of 50: only temperature and top_p apply.
        settings.update(temperature=config.temperature, top_p=config.top_p, top_k=0)
    else:
        # Greedy ignores these; stated as the values transformers treats as unset, so that a
        # checkpoint's sampling settings are not merged in only to be warned about.
        settings.update(temperature=1.0, top_p=1.0, top_k=50)
    settings.update(typical_p=1.0, epsilon_cutoff=0.0, eta_cutoff=0.0)
    return TransformersGenerationConfig(**settings)
