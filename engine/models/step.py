"""What every compression step offers `load_model`: settings for loading, the change applied
after loading, and a report of what it did, verified on the model."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class CompressionNotApplied(RuntimeError):
    pass


class CompressionUnsupported(RuntimeError):
    """A declared method cannot run with this device or dtype."""


class LayerReplacingStep(BaseModel):
    """A quantizer: it replaces linear layers by layers of its own types
    (`compressed_types`), which is how it is shown to have taken effect."""

    # strict: a setting must have its TOML type (see engine.spec.models.Strict).
    model_config = ConfigDict(extra="forbid", strict=True)
    # True where a token's output depends on the other tokens of its forward pass (LLM.int8
    # picks outlier columns over the whole batch): scoring then gives each request a forward
    # pass of its own, or its score would move with the batch size.
    batch_dependent: ClassVar[bool] = False

    def load_kwargs(self, device: str) -> dict:
        """from_pretrained arguments, for a method that quantizes while loading."""
        return {}

    @staticmethod
    def compressed_types() -> tuple[type, ...]:
        raise NotImplementedError

    def describe(self, model) -> tuple[dict, set[str]]:
        """What the step did, and the names of the layers it changed; raises if it changed
        none."""
        import torch

        types = self.compressed_types()
        names = {name for name, m in model.named_modules() if isinstance(m, types)}
        if not names:
            linear = sum(isinstance(m, torch.nn.Linear) for m in model.modules())
            raise CompressionNotApplied(
                f"{self.method} was declared but no linear layer was replaced "
                f"({linear} linear layers found, none of type {', '.join(t.__name__ for t in types)})"
            )
        return {"method": self.model_dump(), "compressed_layers": len(names)}, names
