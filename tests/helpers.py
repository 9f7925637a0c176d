"""Small builders the tests share."""

from __future__ import annotations

from engine.evaluation import ModelPlan
from engine.models.source import ModelRef


def plan_for(path, quantization=None, batch_size=4, label="m") -> ModelPlan:
    return ModelPlan(
        label=label,
        ref=ModelRef(str(path)),
        dtype="float32",
        device="cpu",
        quantization=quantization,
        trust_remote_code=False,
        batch_size=batch_size,
    )
