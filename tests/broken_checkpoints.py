"""Local checkpoints made from the real model that are broken in ways the sanity perplexity
does not see, as a user's faulty build would be."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch

from engine.compression.calibration import sanity_text


def _derive(source: Path, target: Path, edit: Callable) -> Path:
    """The model with its own copy of the output embeddings (SmolLM2 ties them to the input
    embeddings), edited by `edit(model, tokenizer)`, saved as safetensors."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(source)
    model.config.tie_word_embeddings = False
    model.lm_head.weight = torch.nn.Parameter(model.get_input_embeddings().weight.detach().clone())
    with torch.no_grad():
        edit(model, tokenizer)
    model.save_pretrained(target, safe_serialization=True)
    tokenizer.save_pretrained(target)
    return target


def words_absent_from_sanity_text(tokenizer, candidates: list[str]) -> dict[str, int]:
    """Single-token words, with their ids, that the sanity text does not contain."""
    seen = set(tokenizer.encode(sanity_text()))
    found = {}
    for word in candidates:
        ids = tokenizer.encode(word, add_special_tokens=False)
        if len(ids) == 1 and ids[0] not in seen:
            found[word] = ids[0]
    return found


def nan_embeddings(source: Path, target: Path, token_ids: list[int]) -> Path:
    """NaN input embeddings for some tokens: every text containing one of them scores NaN,
    every other text exactly as the source model does."""

    def edit(model, tokenizer):
        model.get_input_embeddings().weight[token_ids] = float("nan")

    return _derive(source, target, edit)


def eos_first(source: Path, target: Path, prompts: list[str], boost: float) -> Path:
    """An output embedding of EOS moved along the mean final hidden state at the end of
    `prompts`, so that EOS gains about `boost` nats of logit where a continuation starts: the
    model stops at once, while its perplexity on running text stays far from that of uniform
    guessing."""

    def edit(model, tokenizer):
        ends = []
        for prompt in prompts:
            ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
            ends.append(model(input_ids=ids, output_hidden_states=True).hidden_states[-1][0, -1])
        direction = torch.stack(ends).mean(dim=0)
        model.lm_head.weight[tokenizer.eos_token_id] += boost * direction / direction.dot(direction)

    return _derive(source, target, edit)
