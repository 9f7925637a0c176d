"""PyTorch dynamic int8 quantization: int8 weights, activations quantized on the fly (CPU)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from engine.compression import STEPS
from engine.compression.base import CompressionUnsupported, Documented, LayerReplacingStep


class DynamicInt8Config(LayerReplacingStep):
    """torch.ao.quantization.quantize_dynamic on the linear layers of the transformer blocks
    (embeddings and lm_head stay float): int8 weights, activations quantized per batch;
    CPU and float32 only."""

    # The activations' int8 scale is taken over the whole input of each matmul, every row and
    # padding included, so a sentence's score moved with its batch (0.045 nats between batch 1
    # and 8 on the tiny test model, where float32 batching moves 1e-5).
    batch_dependent: ClassVar[bool] = True
    documented: ClassVar[Documented] = Documented("dynamic-int8", "int8", {"method": "dynamic-int8"})
    starters: ClassVar[dict[str, dict[str, Any]]] = {"dynamic-int8": {"method": "dynamic-int8"}}

    method: Literal["dynamic-int8"] = Field(
        description="PyTorch dynamic int8 quantization", examples=["dynamic-int8"]
    )
    scale: Literal["channel", "tensor"] = Field(
        "channel",
        description="one weight scale per output channel, or one per layer (torch's "
        "default qconfig, much coarser on small models)",
        examples=["tensor"],
    )

    @classmethod
    def bits_of(cls, table: dict[str, Any]) -> float | None:
        return 8

    def after_load(self, model, device: str, dtype, tokenizer):
        import torch
        from torch.ao.quantization import (
            default_dynamic_qconfig,
            per_channel_dynamic_qconfig,
            quantize_dynamic,
        )

        from engine.compression.layers import block_linears

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
        import torch

        return f"torch dynamic int8 kernels ({torch.backends.quantized.engine})"


STEPS.register("dynamic-int8", DynamicInt8Config, __name__)
