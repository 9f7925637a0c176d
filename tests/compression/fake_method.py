"""A compression method defined the way a new one is: one module that registers its step.
tests/compression/test_steps.py lists it beside the real ones to show that nothing else has
to change for the spec, the schema, the docs, the starter spec and the identity to know it."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from engine.compression import STEPS
from engine.compression.base import Documented, LayerReplacingStep


class FakeConfig(LayerReplacingStep):
    """A made-up 5-bit quantizer."""

    packages: ClassVar[dict[str, str]] = {"fake-quant": "fake_quant"}
    documented: ClassVar[Documented] = Documented("fake", "fake-5bit", {"method": "fake"})
    starters: ClassVar[dict[str, dict[str, Any]]] = {"fake-5bit": {"method": "fake"}}

    method: Literal["fake"] = Field(description="a made-up method", examples=["fake"])

    @classmethod
    def bits_of(cls, table: dict[str, Any]) -> float | None:
        return 5

    @staticmethod
    def compressed_types() -> tuple[type, ...]:
        import fake_quant  # noqa: F401  (not installed: the layer types cannot exist here)

        return ()

    def after_load(self, model, device: str, dtype, tokenizer):
        return model

    def for_inference(self, model, device: str) -> str:
        return "fake kernels"


STEPS.register("fake", FakeConfig, __name__)
