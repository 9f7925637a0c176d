"""PyTorch dynamic int8 quantization: int8 weights, activations quantized on the fly (CPU)."""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
from pydantic import Field

from engine.models.layers import block_linears
from engine.models.step import LayerReplacingStep


class DynamicInt8Config(LayerReplacingStep):
    """torch.ao.quantization.quantize_dynamic on the linear layers of the transformer blocks
    (embeddings and lm_head stay float): int8 weights, activations quantized per batch;
    CPU and float32 only."""

    # The activations' int8 scale is taken over the whole input of each matmul, every row and
    # padding included, so a sentence's score moved with its batch (0.045 nats between batch 1
    # and 8 on the tiny test model, where float32 batching moves 1e-5).
    batch_dependent: ClassVar[bool] = True

    method: Literal["dynamic-int8"] = Field(
        description="PyTorch dynamic int8 quantization", examples=["dynamic-int8"]
    )
    scale: Literal["channel", "tensor"] = Field(
        "channel",
        description="one weight scale per output channel, or one per layer (torch's "
        "default qconfig, much coarser on small models)",
        examples=["tensor"],
    )

    def after_load(self, model, device: str, dtype, tokenizer):
        from torch.ao.quantization import (
            default_dynamic_qconfig,
            per_channel_dynamic_qconfig,
            quantize_dynamic,
        )

        from engine.models.step import CompressionUnsupported

        if device != "cpu":
            raise CompressionUnsupported(
                f"dynamic-int8 runs only on the CPU (torch has no {device} kernels for it); "
                'set baseline.device = "cpu"'
            )
        if dtype != torch.float32:
            raise CompressionUnsupported(
                f"dynamic-int8 quantizes float32 weights, not {dtype}; "
                'set the variant\'s dtype = "float32"'
            )
        qconfig = (
            per_channel_dynamic_qconfig if self.scale == "channel" else default_dynamic_qconfig
        )
        spec = {name: qconfig for name in block_linears(model)}
        return quantize_dynamic(model, spec, dtype=torch.qint8, inplace=True)

    @staticmethod
    def compressed_types() -> tuple[type, ...]:
        from torch.ao.nn.quantized.dynamic import Linear

        return (Linear,)

    def for_inference(self, model, device: str) -> str:
        return f"torch dynamic int8 kernels ({torch.backends.quantized.engine})"
