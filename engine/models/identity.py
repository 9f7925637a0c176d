"""A model's cache identity: a hash of everything that determines its outputs."""

from __future__ import annotations

import hashlib
import json

from engine.models.loading import compression_steps, steps_dump
from engine.models.plan import ModelPlan
from engine.provenance import library_versions


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
