"""HQQ (half-quadratic quantization): calibration-free weight quantization after loading."""

from __future__ import annotations

import functools
from typing import Any, ClassVar, Literal

from pydantic import Field

from engine.compression import STEPS
from engine.compression.base import Documented, LayerReplacingStep

NBITS = (1, 2, 3, 4, 8)


class HQQConfig(LayerReplacingStep):
    """HQQ: the baseline's weights quantized after loading, without calibration data."""

    packages: ClassVar[dict[str, str]] = {"hqq": "hqq"}
    documented: ClassVar[Documented] = Documented(
        "hqq", "hqq-4bit", {"method": "hqq", "nbits": 4}, examples={"nbits": (3, {})}
    )
    # Every bit width, named as the default spec names its variants.
    starters: ClassVar[dict[str, dict[str, Any]]] = {
        f"hqq-{bits}bit": {"method": "hqq", "nbits": bits, "group_size": 64} for bits in NBITS
    }

    method: Literal["hqq"] = Field(description="the quantization backend", examples=["hqq"])
    nbits: Literal[NBITS] = Field(
        description="bits per weight: 1, 2, 3, 4 or 8", examples=[4]
    )
    group_size: int = Field(
        64, gt=0, description="weights sharing one scale and zero point", examples=[128]
    )
    axis: Literal[0, 1] = Field(
        1, description="axis along which groups are formed: 0 or 1", examples=[0]
    )

    @classmethod
    def bits_of(cls, table: dict[str, Any]) -> float | None:
        return table["nbits"]

    def after_load(self, model, device: str, dtype, tokenizer):
        from hqq.core.quantize import BaseQuantizeConfig
        from hqq.models.hf.base import AutoHQQHFModel

        quant_config = BaseQuantizeConfig(
            nbits=self.nbits, group_size=self.group_size, axis=self.axis
        )
        AutoHQQHFModel.quantize_model(
            model, quant_config=quant_config, compute_dtype=dtype, device=device
        )
        return model

    @staticmethod
    def compressed_types() -> tuple[type, ...]:
        from hqq.core.quantize import HQQLinear

        return (HQQLinear,)

    def for_inference(self, model, device: str) -> str:
        """On CPU, hqq's only backend dequantizes every layer on every forward pass; the
        quantized weights never change, so dequantize them once instead."""
        if device != "cpu":
            return "hqq backend"
        from hqq.core.quantize import HQQBackend, HQQLinear

        if HQQLinear.backend != HQQBackend.PYTORCH:
            return f"hqq backend {HQQLinear.backend.name}"
        dequantized = dequantized_linear()
        for parent in list(model.modules()):
            for name, child in list(parent.named_children()):
                if isinstance(child, HQQLinear):
                    setattr(parent, name, dequantized(child))
        return "hqq weights dequantized once (same arithmetic as hqq's pytorch backend)"


@functools.cache
def dequantized_linear() -> type:
    """The module class replacing an HQQLinear on CPU, defined on first use so that reading
    a spec does not import torch."""
    import torch

    class DequantizedLinear(torch.nn.Module):
        """HQQLinear.forward_pytorch with `dequantize()` hoisted out: bit-identical outputs."""

        def __init__(self, layer) -> None:
            super().__init__()
            self.register_buffer("weight", layer.dequantize())
            self.bias = layer.bias

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = torch.matmul(x, self.weight.t())
            if self.bias is not None:
                out += self.bias
            return out

    return DequantizedLinear


STEPS.register("hqq", HQQConfig, __name__)
