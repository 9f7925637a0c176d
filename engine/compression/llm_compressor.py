"""llm-compressor's methods as compression steps: GPTQ, AWQ, SmoothQuant then GPTQ at W8A8,
and SparseGPT.

Each step writes llm-compressor's recipe for the method, has the checkpoint built once in
llm-compressor's own environment (engine.compression.llm_compressor_build) from a seeded
calibration sample of the spec's corpus, and is then loaded as the compressed-tensors
checkpoint it is; `describe` checks the loaded model against what the spec asked for (bits,
group size, symmetry, activation scheme, sparsity pattern).
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import Any, Callable, ClassVar, Literal, Optional

from pydantic import Field, ValidationInfo, field_validator

from engine.compression import STEPS
from engine.compression.base import CompressionNotApplied, CompressionStep, Documented
from engine.compression.calibration import CalibrationConfig

IGNORED = ["lm_head"]  # as llm-compressor's examples and the studies keep the output layer
# transformers (5.18 and later) cannot read zero points packed into int32 (the
# `pack-quantized` format of an asymmetric scheme), so those are saved one int8 per value.
ASYMMETRIC_FORMAT = "int-quantized"


def _calibration_field() -> Any:
    return Field(
        default_factory=CalibrationConfig,
        description="the text the method calibrates on: a seeded sample of the corpus",
        examples=[{"corpus": "bold-wikipedia", "samples": 32, "tokens": 128}],
    )


class LlmCompressorStep(CompressionStep):
    """A method run by llm-compressor's `oneshot`, saved as a compressed-tensors checkpoint."""

    environment: ClassVar[str | None] = "llm-compressor's own environment (make llm-compressor)"
    # fairgate's own compressed-tensors decompresses the checkpoint and, for W8A8, quantizes
    # activations while scoring: its version is part of the variant's identity.
    packages: ClassVar[dict[str, str]] = {"compressed-tensors": "compressed_tensors"}
    # The checkpoint is built before anything is loaded: no uncompressed model in memory.
    while_loading: ClassVar[bool] = True
    builds_checkpoint: ClassVar[bool] = True
    engines: ClassVar[tuple[str, ...]] = ("transformers", "vllm")

    @abstractmethod
    def recipe_modifiers(self) -> dict[str, dict[str, Any]]:
        """llm-compressor's modifiers, by class name, with their arguments, in order."""

    def save_format(self) -> str | None:
        """The compressed-tensors format to save in; None lets llm-compressor infer it."""
        return None

    def recipe(self) -> dict[str, Any]:
        return {"fairgate_stage": {"fairgate_modifiers": self.recipe_modifiers()}}

    def build_checkpoint(
        self,
        source: Path,
        source_sha256: str,
        cache_root: Path | None,
        progress: Callable[[str, int, int], None] | None,
    ) -> Path:
        from engine.compression.llm_compressor_build import build_checkpoint

        calibration: CalibrationConfig = getattr(self, "calibration")
        return build_checkpoint(
            self.method, self.recipe(), self.save_format(), calibration, source, source_sha256,
            cache_root, progress,
        )

    def after_load(self, model, device: str, dtype, tokenizer):
        return model

    def uncompressed_perplexity(self, model) -> float | None:
        """Measured by the build on the same sanity text, in the source checkpoint's dtype."""
        from engine.compression.llm_compressor_build import build_report

        return (build_report(Path(model.name_or_path)) or {}).get("perplexity_before")

    def describe(self, model) -> tuple[dict, set[str]]:
        from engine.compression.llm_compressor_build import build_report

        found, names = self.verify(model)
        report = {"method": self.model_dump(), "recipe": self.recipe(), **found}
        built = build_report(Path(model.name_or_path))
        if built is not None:
            report["build"] = {k: v for k, v in built.items() if k != "recipe"}
        return report, names

    @abstractmethod
    def verify(self, model) -> tuple[dict, set[str]]:
        """What the loaded checkpoint shows, and the layers compressed; raises
        CompressionNotApplied where it is not what the spec asked for."""


class _WeightQuantization(LlmCompressorStep):
    """Weights quantized to `bits` integers in groups of `group_size` input weights."""

    def weight_args(self) -> dict[str, Any]:
        bits, group_size, symmetric = (getattr(self, k) for k in ("bits", "group_size", "symmetric"))
        args: dict[str, Any] = {"num_bits": bits, "type": "int", "symmetric": symmetric}
        if group_size:
            return {**args, "strategy": "group", "group_size": group_size}
        return {**args, "strategy": "channel"}

    def activation_args(self) -> dict[str, Any] | None:
        return None

    def scheme(self) -> dict[str, Any]:
        group: dict[str, Any] = {"targets": ["Linear"], "weights": self.weight_args()}
        if self.activation_args() is not None:
            group["input_activations"] = self.activation_args()
        return {"ignore": IGNORED, "config_groups": {"group_0": group}}

    def save_format(self) -> str | None:
        return None if getattr(self, "symmetric") else ASYMMETRIC_FORMAT

    @classmethod
    def bits_of(cls, table: dict[str, Any]) -> float | None:
        return table.get("bits", cls.model_fields["bits"].default)

    def verify(self, model) -> tuple[dict, set[str]]:
        from engine.compression.layers import block_linears

        names = {n for n, m in model.named_modules() if getattr(m, "quantization_scheme", None) is not None}
        blocks = set(block_linears(model))
        if names != blocks:
            raise CompressionNotApplied(
                f"{self.method} should quantize the {len(blocks)} linear layers of the "
                f"transformer blocks; the checkpoint llm-compressor saved quantizes "
                f"{len(names & blocks)} of them and {len(names - blocks)} others"
            )
        config = model.config.quantization_config
        config = config if isinstance(config, dict) else config.to_dict()
        groups = list(config["config_groups"].values())
        expected = {
            "weights": self.weight_args(),
            "input_activations": self.activation_args(),
            "output_activations": None,
        }
        saved_format = config.get("format")
        wrong = [f"format = {saved_format!r}, not a compressed one"] if saved_format in (None, "dense") else []
        if self.save_format() not in (None, saved_format):
            wrong.append(f"format = {saved_format!r}, not {self.save_format()!r}")
        wrong += [
            f"{part}.{key} = {_value(group.get(part), key)!r}, not {value!r}"
            for group in groups
            for part, wanted in expected.items()
            for key, value in (wanted or {"num_bits": None}).items()
            if _value(group.get(part), key) != value
        ]
        if wrong:
            raise CompressionNotApplied(
                f"{self.method}: the saved checkpoint's scheme differs from the spec: " + "; ".join(wrong)
            )
        return {
            "compressed_layers": len(names),
            "format": saved_format,
            "weights": expected["weights"],
            "input_activations": expected["input_activations"],
        }, names

    def for_inference(self, model, device: str) -> str:
        bits = getattr(self, "bits")
        return (
            f"{bits}-bit integer weights (compressed-tensors) decompressed to {model.dtype} "
            "by transformers; activations unquantized"
        )


def _value(args: dict | None, key: str) -> Any:
    if args is None:
        return None
    value = args.get(key)
    return getattr(value, "value", value)  # enums (strategy, type) as their strings


class GptqConfig(_WeightQuantization):
    """GPTQ (Frantar et al., 2023): weights quantized column by column, each column's error
    spread over the columns not yet quantized through the inverse Hessian of the layer's
    calibration inputs."""

    documented: ClassVar[Documented] = Documented(
        "gptq", "gptq-w4a16", {"method": "gptq", "bits": 4}, examples={"bits": (3, {})},
        nested={"calibration": ("gptq-w4a16", {"method": "gptq", "bits": 4})},
    )
    starters: ClassVar[dict[str, dict[str, Any]]] = {
        "gptq-w4a16": {"method": "gptq", "bits": 4, "group_size": 64},
        "gptq-w3a16": {"method": "gptq", "bits": 3, "group_size": 64},
    }

    method: Literal["gptq"] = Field(description="GPTQ with llm-compressor", examples=["gptq"])
    bits: Literal[2, 3, 4, 8] = Field(4, description="bits per weight (W4A16, W3A16, W8A16)", examples=[4])
    group_size: int = Field(
        128,
        gt=0,
        description="input weights sharing one scale (each layer's input width must be a "
        "multiple of it)",
        examples=[64],
    )
    symmetric: bool = Field(True, description="no zero point (GPTQ's usual form)", examples=[False])
    dampening_frac: float = Field(
        0.01, gt=0, lt=1, description="share of the Hessian's mean diagonal added to it", examples=[0.05]
    )
    calibration: CalibrationConfig = _calibration_field()

    def recipe_modifiers(self) -> dict[str, dict[str, Any]]:
        return {"GPTQModifier": {**self.scheme(), "dampening_frac": self.dampening_frac}}


class AwqConfig(_WeightQuantization):
    """AWQ (Lin et al., 2024): input channels scaled by the calibration activations' size,
    searched per layer group to keep the salient weights precise, then weights rounded to
    the nearest level (asymmetric, with a zero point, as in the paper)."""

    documented: ClassVar[Documented] = Documented(
        "awq", "awq-w4a16", {"method": "awq", "bits": 4}, examples={"bits": (4, {})}
    )
    starters: ClassVar[dict[str, dict[str, Any]]] = {
        "awq-w4a16": {"method": "awq", "bits": 4, "group_size": 64},
    }

    method: Literal["awq"] = Field(description="AWQ with llm-compressor", examples=["awq"])
    bits: Literal[4, 8] = Field(4, description="bits per weight", examples=[4])
    group_size: int = Field(
        128, gt=0, description="input weights sharing one scale and zero point", examples=[64]
    )
    symmetric: bool = Field(False, description="no zero point (AWQ's own form has one)", examples=[True])
    duo_scaling: bool = Field(
        True, description="search scales from activations and weights (false: activations only)",
        examples=[False],
    )
    calibration: CalibrationConfig = _calibration_field()

    def recipe_modifiers(self) -> dict[str, dict[str, Any]]:
        return {
            "AWQModifier": {"duo_scaling": self.duo_scaling},
            "QuantizationModifier": self.scheme(),
        }


class SmoothQuantConfig(_WeightQuantization):
    """SmoothQuant (Xiao et al., 2023) then GPTQ at W8A8: activation outliers migrated into
    the weights by per-channel scales, then int8 weights (per output channel) and int8
    activations (per token, dynamic), as llm-compressor's W8A8 recipe does."""

    documented: ClassVar[Documented] = Documented(
        "smoothquant", "smoothquant-w8a8", {"method": "smoothquant"},
        examples={"smoothing_strength": (0.8, {})},
    )
    starters: ClassVar[dict[str, dict[str, Any]]] = {
        "smoothquant-w8a8": {"method": "smoothquant", "smoothing_strength": 0.8},
    }

    method: Literal["smoothquant"] = Field(
        description="SmoothQuant, then GPTQ to int8 weights and int8 activations", examples=["smoothquant"]
    )
    smoothing_strength: float = Field(
        0.5, gt=0, lt=1, description="alpha: how much of the activations' range moves into the weights",
        examples=[0.8],
    )
    calibration: CalibrationConfig = _calibration_field()

    bits: ClassVar[int] = 8
    group_size: ClassVar[None] = None
    symmetric: ClassVar[bool] = True

    @classmethod
    def bits_of(cls, table: dict[str, Any]) -> float | None:
        return 8

    def activation_args(self) -> dict[str, Any] | None:
        return {"num_bits": 8, "type": "int", "symmetric": True, "strategy": "token", "dynamic": True}

    def recipe_modifiers(self) -> dict[str, dict[str, Any]]:
        return {
            "SmoothQuantModifier": {"smoothing_strength": self.smoothing_strength},
            "GPTQModifier": self.scheme(),
        }

    def for_inference(self, model, device: str) -> str:
        return (
            "int8 weights (compressed-tensors) decompressed to "
            f"{model.dtype}; every linear layer's input quantized to int8 per token in the "
            "forward pass (compressed-tensors fake quantization: int8 values, float arithmetic)"
        )


class SparseGptConfig(LlmCompressorStep):
    """SparseGPT (Frantar and Alistarh, 2023): weights removed by their Hessian-weighted
    error, the remaining weights of each row updated to make up for them."""

    quantizes: ClassVar[bool] = False
    documented: ClassVar[Documented] = Documented(
        "sparsegpt", "sparsegpt-50", {"method": "sparsegpt", "sparsity": 0.5},
        examples={"pattern": ("2:4", {"method": "sparsegpt"})},
    )
    starters: ClassVar[dict[str, dict[str, Any]]] = {
        "sparsegpt-50": {"method": "sparsegpt", "sparsity": 0.5},
        "sparsegpt-2of4": {"method": "sparsegpt", "pattern": "2:4"},
    }

    method: Literal["sparsegpt"] = Field(description="SparseGPT with llm-compressor", examples=["sparsegpt"])
    pattern: Optional[Literal["2:4", "4:8"]] = Field(
        None, description="N:M semi-structured sparsity", examples=["2:4"]
    )
    sparsity: Optional[float] = Field(
        None, gt=0, lt=1, validate_default=True,
        description="share of weights removed, unstructured; implied by `pattern`", examples=[0.5],
    )
    calibration: CalibrationConfig = _calibration_field()

    @field_validator("sparsity")
    @classmethod
    def _sparsity_or_pattern(cls, sparsity: Optional[float], info: ValidationInfo) -> Optional[float]:
        from engine.compression.prune import PruneConfig

        return PruneConfig._sparsity_or_pattern(sparsity, info)

    def as_pruning(self):
        """The same sparsity as fairgate's own pruning declares it, whose check it shares."""
        from engine.compression.prune import PruneConfig

        return PruneConfig(method="prune", pattern=self.pattern, sparsity=self.sparsity)

    def recipe_modifiers(self) -> dict[str, dict[str, Any]]:
        pruning = self.as_pruning()
        return {
            "SparseGPTModifier": {
                "sparsity": pruning.target_sparsity,
                "mask_structure": self.pattern or "0:0",
                "targets": ["Linear"],
                "ignore": IGNORED,
            }
        }

    def verify(self, model) -> tuple[dict, set[str]]:
        from engine.compression.layers import block_linears

        try:
            achieved = self.as_pruning().verify(model)
        except CompressionNotApplied as e:
            raise CompressionNotApplied(f"sparsegpt (checked as pruning): {e}") from e
        return achieved, set(block_linears(model))

    def for_inference(self, model, device: str) -> str:
        return "dense kernels (zeros are stored, not skipped)"


STEPS.register("gptq", GptqConfig, __name__)
STEPS.register("awq", AwqConfig, __name__)
STEPS.register("smoothquant", SmoothQuantConfig, __name__)
STEPS.register("sparsegpt", SparseGptConfig, __name__)
