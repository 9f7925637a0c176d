"""HQQ (half-quadratic quantization): calibration-free weight quantization after loading."""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field

from engine.models.step import LayerReplacingStep


class HQQConfig(LayerReplacingStep):
    """HQQ: the baseline's weights quantized after loading, without calibration data."""

    method: Literal["hqq"] = Field(description="the quantization backend", examples=["hqq"])
    nbits: Literal[1, 2, 3, 4, 8] = Field(
        description="bits per weight: 1, 2, 3, 4 or 8", examples=[4]
    )
    group_size: int = Field(
        64, gt=0, description="weights sharing one scale and zero point", examples=[128]
    )
    axis: Literal[0, 1] = Field(
        1, description="axis along which groups are formed: 0 or 1", examples=[0]
    )

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
        for parent in list(model.modules()):
            for name, child in list(parent.named_children()):
                if isinstance(child, HQQLinear):
                    setattr(parent, name, DequantizedLinear(child))
        return "hqq weights dequantized once (same arithmetic as hqq's pytorch backend)"


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
