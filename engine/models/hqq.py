"""HQQ (half-quadratic quantization): calibration-free weight quantization after loading."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class HQQConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["hqq"]
    nbits: Literal[1, 2, 3, 4, 8] = Field(description="bits per weight")
    group_size: int = Field(64, gt=0, description="weights sharing one scale and zero point")
    axis: Literal[0, 1] = Field(1, description="axis along which groups are formed")

    def load_kwargs(self, device: str) -> dict:
        return {}

    def after_load(self, model, device: str, dtype):
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
