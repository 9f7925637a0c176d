"""optimum-quanto weight-only quantization (int8 or int4), after loading, on any device."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from engine.compression import STEPS
from engine.compression.base import Documented, LayerReplacingStep

BITS = {"int8": 8, "int4": 4}


class QuantoConfig(LayerReplacingStep):
    """optimum-quanto: the linear layers of the transformer blocks get int8 or int4 weights
    (lm_head stays float); activations stay in the model's dtype."""

    packages: ClassVar[dict[str, str]] = {"optimum-quanto": "optimum"}
    documented: ClassVar[Documented] = Documented(
        "quanto", "quanto-int4", {"method": "quanto", "weights": "int4"},
        examples={"weights": ("int8", {})},
    )
    starters: ClassVar[dict[str, dict[str, Any]]] = {
        f"quanto-{weights}": {"method": "quanto", "weights": weights} for weights in BITS
    }

    method: Literal["quanto"] = Field(
        description="optimum-quanto weight-only quantization", examples=["quanto"]
    )
    weights: Literal["int8", "int4"] = Field(
        description="weight type: int8 (one scale per output channel) or int4 (a scale and "
        "shift per group of 128)",
        examples=["int4"],
    )

    @classmethod
    def bits_of(cls, table: dict[str, Any]) -> float | None:
        return BITS[table["weights"]]

    def after_load(self, model, device: str, dtype, tokenizer):
        from optimum.quanto import freeze, qint4, qint8, quantize

        from engine.compression.layers import block_linears

        weights = {"int8": qint8, "int4": qint4}[self.weights]
        quantize(model, weights=weights, include=list(block_linears(model)))
        freeze(model)  # store the quantized weights instead of re-quantizing every forward
        return model

    @staticmethod
    def compressed_types() -> tuple[type, ...]:
        from optimum.quanto.nn import QLinear

        return (QLinear,)

    def for_inference(self, model, device: str) -> str:
        return "optimum-quanto kernels"


STEPS.register("quanto", QuantoConfig, __name__)
