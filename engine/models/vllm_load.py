"""A model on the vllm engine: the checkpoint vLLM loads, what was applied, and the sanity
check measured on vLLM itself.

vLLM loads checkpoints; it cannot run fairgate's steps on a loaded model. A compressed
variant is therefore first loaded once through transformers, where each step is applied and
checked as on the transformers engine (the same report, sanity perplexity included). A step
that builds a checkpoint (llm-compressor's) already has one; the others (pruning) are saved
once into the cache, under the identity of the model they make, and vLLM loads that copy.
The sanity perplexity is then measured again on vLLM, and that one decides whether the model
is broken: it is what the gate will score.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from engine.compression import compression_steps, steps_dump
from engine.compression.base import CompressionNotApplied
from engine.models.sanity import broken_reason
from engine.scoring.packing import Row

if TYPE_CHECKING:
    from engine.models.load import LoadedModel
    from engine.models.vllm_backend import VllmBackend

REPORT_FILE = "fairgate-compression.json"


def vllm_weights(model: LoadedModel) -> tuple[VllmBackend, dict]:
    from transformers import AutoConfig, GenerationConfig

    from engine.models.vllm_backend import VllmBackend

    plan = model.plan
    steps = compression_steps(plan.quantization)
    online = steps[-1] if steps and steps[-1].applied_by_engine else None
    checkpoint, report = _checkpoint(model, steps[:-1] if online else steps)
    options = dict(plan.engine_options)
    if online is not None:
        options["quantization"] = online.scheme
    config = AutoConfig.from_pretrained(checkpoint, trust_remote_code=plan.trust_remote_code)
    generation_config = (
        GenerationConfig.from_pretrained(checkpoint)
        if (Path(checkpoint) / "generation_config.json").is_file()
        else GenerationConfig.from_model_config(config)
    )
    backend = VllmBackend(checkpoint, plan.dtype, options, model.tokenizer, generation_config, plan.trust_remote_code)
    try:
        if online is not None:
            report = _with_online(report, steps, online, backend.linear_layers)
        report["engine"] = {
            "name": "vllm",
            "versions": model.engine_versions,
            "options": dict(plan.engine_options),
        }
        report["sanity"] = _sanity_on_vllm(backend, model.tokenizer, config, report.get("sanity"))
        if steps:
            report["sanity"]["broken"] = broken_reason(report["sanity"])
    except BaseException:
        backend.close()
        raise
    return backend, report


def _with_online(report: dict, steps: tuple, online, linear_layers: list[int]) -> dict:
    """The report of the steps before vLLM's own quantization, with that one added as vLLM's
    worker counted its layers; raises CompressionNotApplied where it quantized none."""
    quantized, total = linear_layers
    if not quantized:
        raise CompressionNotApplied(
            f"vLLM was asked for {online.scheme} but quantized none of the model's {total} "
            "linear layers"
        )
    step = {
        "method": online.model_dump(), "applied_by": "vLLM, while loading",
        "compressed_linear_layers": quantized, "linear_layers": total,
    }
    return {**report, "method": steps_dump(steps), "steps": [*report.get("steps", []), step]}


def _checkpoint(model: LoadedModel, steps: tuple) -> tuple[Path, dict]:
    """The directory vLLM loads once `steps` are applied, and the report made on the way."""
    if not steps:
        return Path(model.source.path), {
            "method": None,
            "steps": [],
            "checkpoint_quantization": _saved_quantization(Path(model.source.path)),
        }
    plan = replace(model.plan, quantization=steps if len(steps) > 1 else steps[0])
    if len(steps) == 1 and steps[0].builds_checkpoint:
        return Path(model.source.path), _report_through_transformers(model, plan, save_to=None)
    return _materialized(model, plan)


def _materialized(model: LoadedModel, plan) -> tuple[Path, dict]:
    """The model of `plan`'s steps, saved once into the cache and found there afterwards."""
    from engine.models.identity import model_identity
    from engine.models.loading import resolve_device
    from engine.store import atomic_directory, default_cache_root, file_lock

    device = resolve_device("auto")
    as_transformers = replace(plan, engine="transformers", engine_options=())
    key = model_identity(as_transformers, model.source.sha256, device)
    target = (model.cache_root or default_cache_root()) / "models" / "materialized" / key[:20]
    with file_lock(target.with_name(target.name + ".lock")):
        if not target.is_dir():
            with atomic_directory(target) as partial:
                report = _report_through_transformers(model, plan, save_to=partial)
                (partial / REPORT_FILE).write_text(json.dumps(report), encoding="utf-8")
    return target, json.loads((target / REPORT_FILE).read_text(encoding="utf-8"))


def _report_through_transformers(model: LoadedModel, plan, save_to: Path | None) -> dict:
    import gc

    from engine.models.loading import load_model, resolve_device

    device = resolve_device("auto")
    loaded, report = load_model(model.source, plan.dtype, device, plan.quantization, plan.trust_remote_code)
    if save_to is not None:
        loaded.save_pretrained(save_to)
        model.tokenizer.save_pretrained(save_to)
    del loaded
    gc.collect()
    # vLLM starts only where the share of GPU memory it was given is free.
    if device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()
    return report


def _saved_quantization(checkpoint: Path) -> dict | None:
    config = json.loads((checkpoint / "config.json").read_text(encoding="utf-8"))
    return config.get("quantization_config")


def _sanity_on_vllm(backend: VllmBackend, tokenizer, config, through_transformers: dict | None) -> dict:
    from engine.models.sanity import sanity_text_label, sanity_token_ids

    ids = tuple(sanity_token_ids(tokenizer, config))
    (result,) = backend.loglikelihoods([Row(len(ids) - 1, ((ids, len(ids) - 1),))])
    nll = -result.logprob / result.n_tokens
    # exp overflows past 709; a NaN stays NaN.
    perplexity = math.exp(nll) if nll < 709 else (math.inf if nll >= 709 else math.nan)
    before = through_transformers or {}
    return {
        "text": sanity_text_label(),
        "tokens": len(ids),
        "perplexity": perplexity,
        "transformers_perplexity": before.get("perplexity"),
        "uncompressed_perplexity": before.get("uncompressed_perplexity"),
        "vocab_size": int(config.vocab_size),
    }
