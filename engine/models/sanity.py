"""A perplexity check on a short fixed text, so a broken compression is caught before any
bias metric is trusted.

Uniform guessing has perplexity equal to the vocabulary size, so a compressed model at or
above it is broken, provided the uncompressed model was better than that (a randomly
initialised test model is not, and compressing it breaks nothing). Steps that quantize while
loading (bitsandbytes) never leave the uncompressed model in memory; for them only a
non-finite perplexity counts as broken.
"""

from __future__ import annotations

import math

import torch

from engine.compression.calibration import sanity_text


def sanity_text_label() -> str:
    """What the sanity perplexity was measured on, for reports."""
    return f"bold-wikipedia sanity sentences ({len(sanity_text())} characters)"


def perplexity(model, tokenizer, device: str) -> float:
    """Perplexity of the sanity text (cut to the model's context length); inf or nan for a
    broken model rather than an error."""
    ids = sanity_ids(model, tokenizer, device)
    with torch.no_grad():
        logits = model(input_ids=ids).logits.float()
    nll = torch.nn.functional.cross_entropy(logits[0, :-1], ids[0, 1:])
    return float(torch.exp(nll))


def sanity_token_ids(tokenizer, config) -> list[int]:
    """The sanity text's token ids, cut to the context length `config` gives."""
    ids = tokenizer(sanity_text())["input_ids"]
    return ids[: getattr(config, "max_position_embeddings", None) or len(ids)]


def sanity_ids(model, tokenizer, device: str) -> torch.Tensor:
    return torch.tensor([sanity_token_ids(tokenizer, model.config)], device=device)


def sanity_report(model, tokenizer, device: str, uncompressed: float | None) -> dict:
    ids = sanity_ids(model, tokenizer, device)
    return {
        "text": sanity_text_label(),
        "tokens": int(ids.shape[1]),
        "perplexity": perplexity(model, tokenizer, device),
        "uncompressed_perplexity": uncompressed,
        "vocab_size": int(model.get_output_embeddings().out_features),
    }


def broken_reason(report: dict) -> str | None:
    """Why the sanity perplexity shows a compressed model broken, or None if it does not."""
    ppl, vocab, before = (
        report["perplexity"],
        report["vocab_size"],
        report["uncompressed_perplexity"],
    )
    guessing = before is not None and before < vocab and ppl >= vocab
    if math.isfinite(ppl) and not guessing:
        return None
    return (
        f"compression broken: perplexity {ppl:.4g} on the sanity text "
        f"(uniform guessing over {vocab} tokens scores {vocab}"
        + (f"; uncompressed: {before:.4g})" if before is not None else ")")
    )
