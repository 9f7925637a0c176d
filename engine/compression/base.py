"""The interface every compression method implements, and what each declares about itself.

A step is a spec table (a strict pydantic model, validated like the rest of the spec) and the
code that applies it to a loaded model. Its class declares the facts the rest of fairgate
reads instead of knowing methods by name: the packages it needs, whether it acts while the
checkpoint is read, whether it quantizes, which engines run it, how the reference documents
it and which starter variants `fairgate init` offers. Nothing here imports torch: the spec and
the catalog read these declarations without loading a model.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, get_args

from pydantic import BaseModel, ConfigDict


class CompressionNotApplied(RuntimeError):
    pass


class CompressionUnsupported(RuntimeError):
    """A declared method cannot run with this device or dtype."""


@dataclass(frozen=True)
class Documented:
    """How the spec reference (docs/spec.md) shows a method: `title`, a variant named
    `variant` whose table sets `required`; `examples` gives, per field, the value its example
    sets and the sibling keys that value needs, where the field's own first example would
    only repeat `required`; `nested` the same for a table inside the method's table (its
    name -> (variant name, the method keys it needs))."""

    title: str
    variant: str
    required: dict[str, Any]
    examples: dict[str, tuple[Any, dict[str, Any]]] = field(default_factory=dict)
    nested: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)


class CompressionStep(BaseModel):
    """One compression method's settings and how it is applied to a loaded model."""

    # strict: a setting must have its TOML type (see engine.spec.models.Strict).
    model_config = ConfigDict(extra="forbid", strict=True)

    # Packages beyond torch and transformers, as {distribution: top-level module}: they are
    # named when missing and their versions enter the cache identity of a model using it.
    packages: ClassVar[dict[str, str]] = {}
    # For a method that runs in an environment of its own: what it is and how to build it.
    environment: ClassVar[str | None] = None
    # transformers quantizes while it reads the checkpoint (from_pretrained arguments), so the
    # step can only come first and the uncompressed model is never in memory.
    while_loading: ClassVar[bool] = False
    # True for a step that writes a new GGUF from the model's own before anything is loaded
    # (it then has `build_gguf`, engine.models.source.GgufBuild): the model must be a GGUF.
    builds_gguf: ClassVar[bool] = False
    # True for a step that builds a new checkpoint from the model's own before anything is
    # loaded (it then has `build_checkpoint`, engine.models.source.CheckpointBuild).
    builds_checkpoint: ClassVar[bool] = False
    # True for a quantization the engine applies itself while loading the checkpoint (vLLM's
    # online quantization): nothing runs through transformers, and it comes last.
    applied_by_engine: ClassVar[bool] = False
    # False for a step that only changes weight values (pruning): other steps may follow it.
    quantizes: ClassVar[bool] = True
    # The engines that can run a model compressed this way. On vllm, a step runs once through
    # transformers into a checkpoint of its own (or builds one), which vLLM then loads.
    engines: ClassVar[tuple[str, ...]] = ("transformers",)
    # True where a token's output depends on the other tokens of its forward pass (LLM.int8
    # picks outlier columns over the whole batch): scoring then gives each request a forward
    # pass of its own, or its score would move with the batch size.
    batch_dependent: ClassVar[bool] = False
    documented: ClassVar[Documented]
    # `fairgate init` variants this method offers: variant name -> the step's table.
    starters: ClassVar[dict[str, dict[str, Any]]] = {}

    @classmethod
    def method_name(cls) -> str:
        return get_args(cls.model_fields["method"].annotation)[0]

    @classmethod
    def bits_of(cls, table: dict[str, Any]) -> float | None:
        """Bits per weight of a step written as `table` (as results.json keeps it); None for
        a method that sets no bit width."""
        return None

    def uncompressed_perplexity(self, model) -> float | None:
        """The sanity perplexity of the model before this step, where the step measured it
        itself (it compressed the model before fairgate loaded it)."""
        return None

    def load_kwargs(self, device: str) -> dict:
        """from_pretrained arguments, for a method that quantizes while loading."""
        return {}

    @abstractmethod
    def after_load(self, model, device: str, dtype, tokenizer):
        """The model compressed (in place or replaced), after it was loaded on `device`."""

    @abstractmethod
    def describe(self, model) -> tuple[dict, set[str]]:
        """What the step did, and the names of the layers it changed; raises
        CompressionNotApplied if the model does not show it."""

    @abstractmethod
    def for_inference(self, model, device: str) -> str:
        """Prepares the compressed model for scoring; says which kernels its forward uses."""


class LayerReplacingStep(CompressionStep):
    """A quantizer: it replaces linear layers by layers of its own types
    (`compressed_types`), which is how it is shown to have taken effect."""

    @staticmethod
    @abstractmethod
    def compressed_types() -> tuple[type, ...]:
        """The layer classes it replaces linear layers with (imports its package)."""

    def describe(self, model) -> tuple[dict, set[str]]:
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
