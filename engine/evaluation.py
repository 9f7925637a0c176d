"""One model (the baseline or a variant) scored on every check of a spec.

The model's weights are loaded only if some batch is not cached yet, and freed as soon as
its checks are scored, so at most one model is in memory at a time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

from engine.datasets.base import Example, content_hash
from engine.metrics.registry import Metric, Record, ScoringOptions
from engine.models.load import LoadedModel, load
from engine.models.plan import ModelPlan
from engine.run_errors import RunError, engine_errors, load_errors, refuse_broken, subject
from engine.scoring.lm import LanguageModel, single_token_id
from engine.scoring.text_scores import TextScorers
from engine.store import ResultStore

Progress = Callable[[str, int, int], None]


@dataclass
class ModelEvaluation:
    label: str
    model: dict  # source, identity, dtype, device, and the compression actually applied
    records: dict[str, list[Record]]  # per metric, aligned with that check's examples
    seconds: float
    cache_hits: int
    batches_computed: int
    loaded: bool = False  # whether the weights had to be loaded at all


def _prefix_token_id(plan: ModelPlan, model: LoadedModel) -> int | None:
    if plan.prefix_token is None:
        return None
    try:
        return single_token_id(model.tokenizer, plan.prefix_token)
    except ValueError as e:
        raise RunError(
            plan.spec_file,
            subject(plan),
            f"baseline.prefix_token: {e}",
            "name a single token of every model's tokenizer, or remove `prefix_token` to use "
            "the BOS token",
        ) from e


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
    reference: ModelEvaluation | None = None,
    text_scorers: TextScorers | None = None,
) -> ModelEvaluation:
    """`reference` is the baseline's evaluation, for metrics that compare with it item by
    item; None when `plan` is the baseline. `text_scorers`: the run's classifiers (default:
    ones built for this model alone)."""
    start = time.perf_counter()
    with load_errors(plan):
        model = load(plan, progress, store.cache_root)
    report_key = f"model/{model.identity}"

    def load_backend():
        with load_errors(plan):
            backend, compression = model.weights()
        store.put(report_key, compression)
        try:
            refuse_broken(plan, compression)
        except RunError:
            close = getattr(backend, "close", None)  # an engine process, an offload folder
            if close is not None:
                close()
            raise
        return backend

    lm = LanguageModel(
        tokenizer=model.tokenizer,
        max_packed_width=model.max_packed_width,
        custom_prefix_token_id=_prefix_token_id(plan, model),
        batch_size=1 if model.scored_alone else plan.batch_size,
        packing=not model.scored_alone,
        identity=model.identity,
        store=store,
        load_backend=load_backend,
        text_scorers=text_scorers,
    )
    try:
        with engine_errors(plan):
            records = {}
            # Metrics that read the same scores (StereoSet's SS, LMS and ICAT) score them once.
            scored: dict[tuple, list[Record]] = {}
            for metric, examples, options in checks:
                key = (metric.score, content_hash(examples), options)
                if key not in scored:
                    stage = f"{plan.label}: {metric.name}"
                    report = (lambda d, t, s=stage: progress(s, d, t)) if progress else None
                    extra = {}
                    if metric.reference:
                        extra["reference"] = reference.records[metric.name] if reference else None
                    scored[key] = metric.checked(metric.score(lm, examples, options, report, **extra))
                records[metric.name] = scored[key]
            if store.get(report_key) is None:
                _ = lm.backend  # all batches cached but no report: load once to record what was applied
            loaded = lm.loaded
    finally:
        lm.free()
    description = {
        **model.source.describe(),
        "identity": model.identity,
        "dtype": plan.dtype,
        "device": model.device,
        "compression": store.get(report_key),
    }
    refuse_broken(plan, description["compression"])  # also when read from the cache
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
