"""A model's cache identity: a hash of everything that determines its outputs."""

from __future__ import annotations

import hashlib
import json

from engine.compression import compression_steps, identity_libraries, steps_dump
from engine.models.plan import ModelPlan
from engine.provenance import library_versions


def model_identity(
    plan: ModelPlan, weights_sha256: str, device: str, engine_versions: dict[str, str] | None = None
) -> str:
    """`engine_versions`: the library versions of the engine's own environment (vllm)."""
    versions = library_versions()
    steps = compression_steps(plan.quantization)
    libraries = identity_libraries(steps)
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
    # Only for an engine other than transformers, so the caches of existing specs stay valid.
    # Every option enters: how vLLM splits, compiles and batches (its memory sets how many
    # sequences share a step) can each move a score in its last digits.
    if plan.engine != "transformers":
        payload["engine"] = {
            "name": plan.engine,
            "versions": engine_versions,
            "options": dict(plan.engine_options),
        }
    if plan.device_map is not None:
        payload["placement"] = {"device_map": plan.device_map, "max_memory": dict(plan.max_memory)}
    if scored_alone(plan):
        payload["scoring"] = "one request per forward pass"
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def scored_alone(plan: ModelPlan) -> bool:
    """Whether every request gets a forward pass of its own (batch size 1, no packing), so that
    a batch-dependent method's scores do not move with the batch size."""
    return any(step.batch_dependent for step in compression_steps(plan.quantization))
