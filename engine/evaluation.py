"""One model (the baseline or a variant) scored on every check of a spec.

The model's weights are loaded only if some batch is not cached yet, and freed as soon as
its checks are scored, so at most one model is in memory at a time.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from engine.datasets.base import Example, content_hash
from engine.metrics.registry import Metric, Record, ScoringOptions
from engine.models.loading import load_model, load_tokenizer, resolve_device, sliding_window
from engine.models.source import ModelRef, resolve
from engine.provenance import library_versions
from engine.scoring.lm import LanguageModel
from engine.store import ResultStore

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ModelPlan:
    label: str  # "baseline" or the variant's name
    ref: ModelRef
    dtype: str
    device: str
    quantization: Any | None
    trust_remote_code: bool
    batch_size: int


@dataclass
class ModelEvaluation:
    label: str
    model: dict  # source, identity, dtype, device, and the compression actually applied
    records: dict[str, list[Record]]  # per metric, aligned with that check's examples
    seconds: float
    cache_hits: int
    batches_computed: int
    loaded: bool = False  # whether the weights had to be loaded at all


def model_identity(plan: ModelPlan, weights_sha256: str, device: str) -> str:
    versions = library_versions()
    payload = {
        "weights": weights_sha256,
        "dtype": plan.dtype,
        "device": device.split(":")[0],
        "quantization": plan.quantization.model_dump() if plan.quantization else None,
        "libraries": {k: versions[k] for k in ("torch", "transformers", "hqq", "bitsandbytes")},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def generation_throughput(lm: LanguageModel) -> dict:
    """What this run generated (stop tokens included) and how fast; batches read from the
    cache cost no generation and are not counted."""
    if lm.generated_tokens == 0:
        return {
            "generated_tokens": 0,
            "seconds": 0.0,
            "tokens_per_second": None,
            "cached": True,
            "note": "every continuation was read from the cache: nothing was generated in this run",
        }
    return {
        "generated_tokens": lm.generated_tokens,
        "seconds": round(lm.generation_seconds, 3),
        "tokens_per_second": round(lm.generated_tokens / lm.generation_seconds, 1),
        "cached": False,
    }


def evaluate_model(
    plan: ModelPlan,
    checks: Sequence[tuple[Metric, Sequence[Example], ScoringOptions]],
    store: ResultStore,
    progress: Progress | None = None,
) -> ModelEvaluation:
    start = time.perf_counter()
    resolved = resolve(plan.ref)
    device = resolve_device(plan.device)
    identity = model_identity(plan, resolved.sha256, device)
    report_key = f"model/{identity}"

    def load():
        model, compression = load_model(
            resolved, plan.dtype, device, plan.quantization, plan.trust_remote_code
        )
        store.put(report_key, compression)
        return model

    lm = LanguageModel(
        tokenizer=load_tokenizer(resolved, plan.trust_remote_code),
        max_packed_width=sliding_window(resolved, plan.trust_remote_code),
        device=device,
        batch_size=plan.batch_size,
        identity=identity,
        store=store,
        load_model=load,
    )
    try:
        records = {}
        # Metrics that read the same scores (StereoSet's SS, LMS and ICAT) score them once.
        scored: dict[tuple, list[Record]] = {}
        for metric, examples, options in checks:
            key = (metric.score, content_hash(examples), options)
            if key not in scored:
                report = (lambda d, t, m=metric.name: progress(m, d, t)) if progress else None
                scored[key] = metric.score(lm, examples, options, report)
            records[metric.name] = scored[key]
        if store.get(report_key) is None:
            _ = lm.model  # all batches cached but no report: load once to record what was applied
        loaded = lm.loaded
    finally:
        lm.free()
    description = {
        **resolved.describe(),
        "identity": identity,
        "dtype": plan.dtype,
        "device": device,
        "compression": store.get(report_key),
    }
    if any(metric.generation is not None for metric, _, _ in checks):
        description["generation"] = generation_throughput(lm)
    return ModelEvaluation(
        label=plan.label,
        model=description,
        records=records,
        seconds=time.perf_counter() - start,
        cache_hits=lm.cache_hits,
        batches_computed=lm.batches_computed,
        loaded=loaded,
    )
