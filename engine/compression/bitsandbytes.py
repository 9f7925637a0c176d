"""bitsandbytes quantization at load time: LLM.int8 or 4-bit NF4/FP4."""

from __future__ import annotations

import logging
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import Field

from engine.compression import STEPS
from engine.compression.base import Documented, LayerReplacingStep

Dtype = Literal["float32", "bfloat16", "float16"]


class _BitsAndBytes(LayerReplacingStep):
    """What both bit widths share: transformers quantizes while loading, on one device."""

    packages: ClassVar[dict[str, str]] = {"bitsandbytes": "bitsandbytes"}
    while_loading: ClassVar[bool] = True
    method: Literal["bitsandbytes"] = Field(
        description="the quantization backend", examples=["bitsandbytes"]
    )

    @classmethod
    def bits_of(cls, table: dict[str, Any]) -> float | None:
        return table["bits"]

    def load_kwargs(self, device: str) -> dict:
        return {"quantization_config": self.transformers_config(), "device_map": {"": device}}

    def after_load(self, model, device: str, dtype, tokenizer):
        return model

    def for_inference(self, model, device: str) -> str:
        return "bitsandbytes kernels"


class BitsAndBytes8bitConfig(_BitsAndBytes):
    """bitsandbytes LLM.int8: 8-bit weights, with outlier activations kept in 16 bits."""

    # A matmul's outlier columns are those over the threshold at any position of the whole
    # batch (padding and packed neighbours included), and are multiplied in 16 bits at every
    # position: a token's result depends on every other sequence in its batch.
    batch_dependent: ClassVar[bool] = True
    documented: ClassVar[Documented] = Documented(
        "bitsandbytes, 8 bits", "bnb-int8", {"method": "bitsandbytes", "bits": 8}
    )
    starters: ClassVar[dict[str, dict[str, Any]]] = {"bnb-int8": {"method": "bitsandbytes", "bits": 8}}

    bits: Literal[8] = Field(description="8: LLM.int8", examples=[8])
    threshold: float = Field(
        6.0,
        gt=0,
        description="LLM.int8 outlier threshold: activation columns with a larger magnitude "
        "are multiplied in 16 bits",
        examples=[4.0],
    )

    def transformers_config(self):
        from transformers import BitsAndBytesConfig

        # bitsandbytes logs this once per matmul call, thousands of lines per evaluation;
        # the cast is what LLM.int8 does by design.
        logging.getLogger("bitsandbytes.autograd._functions").setLevel(logging.ERROR)
        return BitsAndBytesConfig(load_in_8bit=True, llm_int8_threshold=self.threshold)

    @staticmethod
    def compressed_types() -> tuple[type, ...]:
        import bitsandbytes as bnb

        return (bnb.nn.Linear8bitLt,)


class BitsAndBytes4bitConfig(_BitsAndBytes):
    """bitsandbytes 4-bit: NF4 or FP4 weights, dequantized for each matrix multiplication."""

    documented: ClassVar[Documented] = Documented(
        "bitsandbytes, 4 bits", "bnb-nf4", {"method": "bitsandbytes", "bits": 4}
    )
    starters: ClassVar[dict[str, dict[str, Any]]] = {
        "bnb-nf4": {"method": "bitsandbytes", "bits": 4, "quant_type": "nf4", "double_quant": True},
        "bnb-fp4": {"method": "bitsandbytes", "bits": 4, "quant_type": "fp4"},
    }

    bits: Literal[4] = Field(description="4: NF4 or FP4", examples=[4])
    quant_type: Literal["nf4", "fp4"] = Field(
        "nf4",
        description="the 4-bit data type: nf4 (normal float) or fp4 (floating point)",
        examples=["fp4"],
    )
    double_quant: bool = Field(
        False, description="quantize the quantization constants too", examples=[True]
    )
    compute_dtype: Dtype = Field(
        "float32",
        description="dtype of the matrix multiplications: float32, bfloat16 or float16",
        examples=["bfloat16"],
    )

    def transformers_config(self):
        import torch
        from transformers import BitsAndBytesConfig

        return BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type=self.quant_type,
            bnb_4bit_use_double_quant=self.double_quant,
            bnb_4bit_compute_dtype=getattr(torch, self.compute_dtype),
        )

    @staticmethod
    def compressed_types() -> tuple[type, ...]:
        import bitsandbytes as bnb

        return (bnb.nn.Linear4bit,)


BitsAndBytesConfig = Annotated[
    Union[BitsAndBytes8bitConfig, BitsAndBytes4bitConfig], Field(discriminator="bits")
]
STEPS.register("bitsandbytes", BitsAndBytesConfig, __name__)
