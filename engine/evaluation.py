"""One model (the baseline or a variant) scored on every check of a spec.

The model's weights are loaded only if some batch is not cached yet, and freed as soon as
its checks are scored, so at most one model is in memory at a time.
"""

from __future__ import annotations

import hashlib
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from engine.datasets.assets import AssetMissing
from engine.datasets.base import Example, content_hash
from engine.metrics.registry import Metric, Record, ScoringOptions
from engine.models.loading import (
    compression_steps,
    load_model,
    load_tokenizer,
    resolve_device,
    sliding_window,
    steps_dump,
)
from engine.models.source import ModelRef, ModelSourceError, resolve
from engine.models.step import CompressionNotApplied, CompressionUnsupported
from engine.provenance import library_versions
from engine.scoring.lm import LanguageModel, single_token_id
from engine.store import ResultStore

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ModelPlan:
    label: str  # "baseline" or the variant's name
    ref: ModelRef
    dtype: str
    device: str
    quantization: Any | None  # one compression step, a tuple of steps applied in order, or None
    trust_remote_code: bool
    batch_size: int
    spec_file: Path | None = None  # named by errors, so a user knows which spec to fix
    allow_broken: bool = False  # judge it even if its sanity perplexity shows it broken
    prefix_token: str | None = None  # the spec's baseline.prefix_token; None: BOS, else EOS


class RunError(RuntimeError):
    """Something a spec needs cannot be loaded at run time (a model, a quantization backend,
    a data set). The message names the spec file and the model or check it belongs to, and
    says what to do; results stored before it stay in the cache."""

    def __init__(self, spec_file: Path | None, subject: str, problem: str, what_to_do: str) -> None:
        self.spec_file = spec_file
        self.subject = subject
        where = f"{spec_file}: " if spec_file else ""
        super().__init__(f"{where}{subject}: {problem}; {what_to_do}")


# What transformers, safetensors and the hub client raise for a checkpoint they cannot read:
# a missing or partial directory (OSError), an unknown architecture (ValueError, KeyError in
# older transformers), corrupt weights (SafetensorError, an Exception subclass), a saved
# quantization transformers cannot read back (NotImplementedError: HQQ's in 5.23).
UNREADABLE_CHECKPOINT = (OSError, ValueError, KeyError, NotImplementedError)
# dynamic-int8 and prune need only torch.
BACKEND_PACKAGES = {"hqq": "hqq", "bitsandbytes": "bitsandbytes", "quanto": "optimum-quanto"}


def _subject(plan: ModelPlan) -> str:
    return "baseline" if plan.label == "baseline" else f"variant {plan.label!r}"


@contextmanager
def _loading(plan: ModelPlan) -> Iterator[None]:
    """Turns a failure to load `plan`'s model into a RunError that says what to do."""
    from safetensors import SafetensorError

    from engine.models.checkpoints import QuantizationBackendMissing

    try:
        yield
    except QuantizationBackendMissing as e:
        raise RunError(plan.spec_file, _subject(plan), str(e), e.fix) from e
    except (ModelSourceError, AssetMissing) as e:
        raise RunError(plan.spec_file, _subject(plan), str(e), _fix_model(plan)) from e
    except ImportError as e:
        method = _missing_backend(plan, e)
        if method is None:
            raise
        raise RunError(
            plan.spec_file,
            _subject(plan),
            f"the {method} quantization backend cannot be imported ({e})",
            f"install it (`pip install {BACKEND_PACKAGES[method]}`), or remove the variant from the spec",
        ) from e
    except (CompressionNotApplied, CompressionUnsupported) as e:
        raise RunError(
            plan.spec_file, _subject(plan), str(e), "choose another `quantization` for this model"
        ) from e
    except (*UNREADABLE_CHECKPOINT, SafetensorError) as e:
        problem = f"cannot load the model {plan.ref.model!r}: {type(e).__name__}: {e}"
        raise RunError(plan.spec_file, _subject(plan), problem, _fix_model(plan)) from e


def _missing_backend(plan: ModelPlan, error: ImportError) -> str | None:
    """The declared method whose backend package failed to import, if any."""
    methods = [s.method for s in compression_steps(plan.quantization) if s.method in BACKEND_PACKAGES]
    top_module = (error.name or "").split(".")[0]
    named = [m for m in methods if BACKEND_PACKAGES[m] == top_module]
    return (named or methods or [None])[0]


def broken_compression(compression: dict | None) -> str | None:
    """Why a model's compression report shows it broken (see `engine.models.sanity`)."""
    return ((compression or {}).get("sanity") or {}).get("broken")


def _refuse_broken(plan: ModelPlan, compression: dict | None) -> None:
    """A broken compression is not judged unless the spec says `allow_broken`: its bias
    scores would describe noise."""
    reason = broken_compression(compression)
    if reason is not None and not plan.allow_broken:
        raise RunError(
            plan.spec_file,
            _subject(plan),
            reason,
            "compress less aggressively, or remove the variant, or set `allow_broken = true` "
            "on it to judge it anyway; its items are not judged",
        )


def _fix_model(plan: ModelPlan) -> str:
    return (
        f"point `model` ({plan.ref.model!r}) at a complete transformers checkpoint "
        "(config.json, tokenizer files, *.safetensors) of an architecture this transformers "
        "version supports, then run the gate again; scores already computed stay cached"
    )


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
    steps = compression_steps(plan.quantization)
    # Only a quanto step depends on optimum-quanto: other models keep their identity (and cache)
    # whether it is installed or not.
    libraries = ("torch", "transformers", "hqq", "bitsandbytes") + (
        ("optimum-quanto",) if any(s.method == "quanto" for s in steps) else ()
    )
    payload = {
        "weights": weights_sha256,
        "dtype": plan.dtype,
        "device": device.split(":")[0],
        "quantization": steps_dump(steps),
        "libraries": {k: versions[k] for k in libraries},
    }
    # Only when set, so the caches of specs without it stay valid.
    if plan.prefix_token is not None:
        payload["prefix_token"] = plan.prefix_token
    if scored_alone(plan):
        payload["scoring"] = "one request per forward pass"
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def scored_alone(plan: ModelPlan) -> bool:
    """Whether every request gets a forward pass of its own (batch size 1, no packing), so that
    a batch-dependent method's scores do not move with the batch size. Pruning steps have no
    `batch_dependent`: they change only weights."""
    steps = compression_steps(plan.quantization)
    return any(getattr(step, "batch_dependent", False) for step in steps)


def _prefix_token_id(plan: ModelPlan, tokenizer: Any) -> int | None:
    if plan.prefix_token is None:
        return None
    try:
        return single_token_id(tokenizer, plan.prefix_token)
    except ValueError as e:
        raise RunError(
            plan.spec_file,
            _subject(plan),
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
) -> ModelEvaluation:
    """`reference` is the baseline's evaluation, for metrics that compare with it item by
    item; None when `plan` is the baseline."""
    start = time.perf_counter()
    with _loading(plan):
        resolved = resolve(plan.ref)
        tokenizer = load_tokenizer(resolved, plan.trust_remote_code)
        max_packed_width = sliding_window(resolved, plan.trust_remote_code)
    prefix_token_id = _prefix_token_id(plan, tokenizer)
    alone = scored_alone(plan)
    device = resolve_device(plan.device)
    identity = model_identity(plan, resolved.sha256, device)
    report_key = f"model/{identity}"

    def load():
        with _loading(plan):
            model, compression = load_model(
                resolved, plan.dtype, device, plan.quantization, plan.trust_remote_code
            )
        store.put(report_key, compression)
        _refuse_broken(plan, compression)
        return model

    lm = LanguageModel(
        tokenizer=tokenizer,
        max_packed_width=max_packed_width,
        custom_prefix_token_id=prefix_token_id,
        device=device,
        batch_size=1 if alone else plan.batch_size,
        packing=not alone,
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
                stage = f"{plan.label}: {metric.name}"
                report = (lambda d, t, s=stage: progress(s, d, t)) if progress else None
                extra = {}
                if metric.reference:
                    extra["reference"] = reference.records[metric.name] if reference else None
                scored[key] = metric.score(lm, examples, options, report, **extra)
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
    _refuse_broken(plan, description["compression"])  # also when read from the cache
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
