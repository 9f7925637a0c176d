"""The scoring backend on transformers: a causal LM's forward passes and `generate`, on one device.

Packed rows become one forward pass each, with an additive 4D attention mask that lets every
member's suffix see the shared prefix and itself, and position ids that restart after the
prefix. Generation left-pads a batch with an attention mask; transformers derives position
ids from that mask, so padding does not shift a prompt's positions and a greedy continuation
in a batch equals the same prompt generated alone (up to float rounding of batched matmuls;
not under bitsandbytes LLM.int8, which picks outlier columns over the whole batch, padding
included).

Decoding is stated by the `GenerationConfig` alone: from the model's own generation config
only the stop tokens are taken (the tokenizer's EOS and the model's EOS ids), never its
sampling or penalty settings. Sampling runs inside a forked RNG, so it leaves the global RNG
untouched.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import torch

from engine.scoring.backend import Generation, LLResult, Prompt
from engine.scoring.generation import GenerationConfig
from engine.scoring.packing import Row


class TransformersBackend:
    def __init__(self, model: Any, tokenizer: Any, device: str, on_close: Callable[[], None] | None = None) -> None:
        """`device`: where inputs go; `on_close`: what to clean up with the weights."""
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        self._on_close = on_close

    def close(self) -> None:
        self.model = None
        if self._on_close is not None:
            self._on_close()
            self._on_close = None

    def loglikelihoods(self, rows: Sequence[Row]) -> list[LLResult]:
        """A row whose members share a prefix is one forward pass; if any member's score is
        not finite, the row's members are computed again one by one: masked attention still
        multiplies a hidden member's NaN values by zero, which is NaN, so one member's NaN
        would otherwise spread to the others in its row."""
        results = self._forward(rows)
        out, offset = [], 0
        for row in rows:
            own = results[offset : offset + len(row.members)]
            offset += len(row.members)
            if len(row.members) > 1 and not all(math.isfinite(r.logprob) for r in own):
                own = self._forward([Row(len(tokens) - 1, ((tokens, n),)) for tokens, n in row.members])
            out += own
        return out

    @torch.inference_mode()
    def _forward(self, rows: Sequence[Row]) -> list[LLResult]:
        inputs = batch_tensors(rows, pad_token_id(self.tokenizer), self.model.dtype)
        logits = self.model(**{k: v.to(self.device) for k, v in inputs.items()}).logits
        spans, targets, sizes = [], [], []
        for n, row in enumerate(rows):
            for m in range(len(row.members)):
                positions, tokens = row.target_positions(m)
                spans.append(logits[n, positions])
                targets += tokens
                sizes.append(len(tokens))
        logprobs = torch.log_softmax(torch.cat(spans).float(), dim=-1)
        target = torch.tensor(targets, device=logprobs.device)
        picked = logprobs.gather(1, target[:, None])[:, 0]
        greedy = logprobs.argmax(dim=-1) == target
        results, offset = [], 0
        for size in sizes:
            end = offset + size
            results.append(
                LLResult(
                    logprob=float(picked[offset:end].sum(dtype=torch.float64)),
                    n_tokens=size,
                    is_greedy=bool(greedy[offset:end].all()),
                )
            )
            offset = end
        return results

    @torch.inference_mode()
    def generate(self, prompts: Sequence[Prompt], config: GenerationConfig, seed: int) -> list[Generation]:
        pad = pad_token_id(self.tokenizer)
        width = max(len(p) for p in prompts)
        input_ids = torch.tensor([[pad] * (width - len(p)) + list(p) for p in prompts])
        attention_mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
        stop_ids = stop_token_ids(self.tokenizer, self.model.generation_config)
        place = torch.device(self.device)
        accelerators = [] if place.type == "cpu" else [place]
        with torch.random.fork_rng(devices=accelerators, device_type=place.type):
            torch.manual_seed(seed)
            output = self.model.generate(
                input_ids=input_ids.to(place),
                attention_mask=attention_mask.to(place),
                generation_config=_transformers_config(config, stop_ids, pad),
            )
        return [truncate_at_stop(self.tokenizer, row, stop_ids) for row in output[:, width:].tolist()]


def pad_token_id(tokenizer: Any) -> int:
    # Padded positions are masked and never read, so any valid id will do.
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id):
        if candidate is not None:
            return candidate
    return 0


def batch_tensors(rows: Sequence[Row], pad_id: int, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """input_ids, position_ids and an additive 4D attention mask for a batch of rows."""
    width = max(r.width for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    positions = torch.zeros((len(rows), width), dtype=torch.long)
    segments = torch.full((len(rows), width), -1, dtype=torch.long)
    for n, row in enumerate(rows):
        row_ids, row_pos, row_seg = row.layout()
        ids[n, : len(row_ids)] = torch.tensor(row_ids)
        positions[n, : len(row_pos)] = torch.tensor(row_pos)
        segments[n, : len(row_seg)] = torch.tensor(row_seg)
    query, key = segments[:, :, None], segments[:, None, :]
    causal = torch.ones(width, width, dtype=torch.bool).tril()
    allowed = causal & ((key == 0) | (key == query)) & (key >= 0) & (query >= 0)
    # Padding positions see only themselves: a row with nothing to attend to would give NaN.
    allowed |= torch.eye(width, dtype=torch.bool)
    mask = torch.zeros(allowed.shape, dtype=dtype)  # SDPA wants the dtype of the queries
    mask.masked_fill_(~allowed, torch.finfo(dtype).min)
    return {"input_ids": ids, "position_ids": positions, "attention_mask": mask[:, None]}


def stop_token_ids(tokenizer: Any, generation_config: Any) -> list[int]:
    """The tokenizer's EOS and the EOS ids of the model's generation config."""
    ids = {tokenizer.eos_token_id}
    from_model = generation_config.eos_token_id
    ids.update(from_model if isinstance(from_model, list) else [from_model])
    return sorted(i for i in ids if i is not None)


def truncate_at_stop(tokenizer: Any, new_tokens: Sequence[int], stop_ids: Sequence[int]) -> Generation:
    """A row of generated ids cut before its first stop token; what follows is padding."""
    end = next((i for i, token in enumerate(new_tokens) if token in stop_ids), None)
    kept = tuple(new_tokens if end is None else new_tokens[:end])
    text = tokenizer.decode(list(kept), skip_special_tokens=True)
    return Generation(text, kept, len(kept), end is not None)


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
