"""Unstructured and N:M semi-structured pruning by weight magnitude or by Wanda's score.

Wanda (Sun et al., 2023) scores weight W_ij by |W_ij| * ||X_j||_2, the norm of input feature
j over a calibration set, and compares scores within each output row. As in the paper, blocks
are pruned in order and each block's input norms are measured on the model whose earlier
blocks are already pruned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal, Optional

from pydantic import Field, ValidationInfo, field_validator

from engine.compression import STEPS
from engine.compression.base import CompressionNotApplied, CompressionStep, Documented
from engine.compression.calibration import CalibrationConfig

if TYPE_CHECKING:
    import torch

PATTERNS = {"2:4": (2, 4), "4:8": (4, 8)}


class PruneConfig(CompressionStep):
    """Zero a share of the weights of every linear layer of the transformer blocks
    (embeddings and lm_head are kept, as is standard)."""

    quantizes: ClassVar[bool] = False
    engines: ClassVar[tuple[str, ...]] = ("transformers", "vllm")
    documented: ClassVar[Documented] = Documented(
        "prune", "pruned", {"method": "prune", "sparsity": 0.5},
        examples={"sparsity": (0.3, {})},
        nested={"calibration": ("wanda", {"method": "prune", "sparsity": 0.5, "criterion": "wanda"})},
    )
    starters: ClassVar[dict[str, dict[str, Any]]] = {
        "prune-50": {"method": "prune", "sparsity": 0.5},
        "prune-2of4": {"method": "prune", "pattern": "2:4"},
        "wanda-50": {"method": "prune", "sparsity": 0.5, "criterion": "wanda"},
    }

    method: Literal["prune"] = Field(description="weight pruning", examples=["prune"])
    pattern: Optional[Literal["2:4", "4:8"]] = Field(
        None,
        description="N:M semi-structured sparsity: N zeros in every M consecutive input "
        "weights of a row",
        examples=["2:4"],
    )
    sparsity: Optional[float] = Field(
        None,
        gt=0,
        lt=1,
        validate_default=True,
        description="share of weights set to zero, unstructured; implied by `pattern` "
        "(N/M) and then best left out",
        examples=[0.5],
    )
    criterion: Literal["magnitude", "wanda"] = Field(
        "magnitude",
        description="magnitude: smallest |W| first; wanda: smallest |W| x input activation "
        "norm, compared within each output row",
        examples=["wanda"],
    )
    scope: Literal["layer", "global"] = Field(
        "layer",
        description="layer: every layer at `sparsity`; global: one magnitude threshold over "
        "all the layers (magnitude only, unstructured only)",
        examples=["global"],
    )
    calibration: CalibrationConfig = Field(
        default_factory=CalibrationConfig,
        description="the text Wanda's activation norms are measured on (wanda only)",
        examples=[{"corpus": "bold-wikipedia", "samples": 32, "tokens": 128}],
    )

    # Field validators (not one model validator) so that errors point at the key to fix;
    # each reads only fields declared above it.
    @field_validator("sparsity")
    @classmethod
    def _sparsity_or_pattern(
        cls, sparsity: Optional[float], info: ValidationInfo
    ) -> Optional[float]:
        pattern = info.data.get("pattern")
        if pattern is None and sparsity is None:
            raise ValueError("give `sparsity` (e.g. 0.5) or an N:M `pattern` (2:4 or 4:8)")
        if pattern is not None and sparsity is not None:
            n, m = PATTERNS[pattern]
            if abs(sparsity - n / m) > 1e-9:
                raise ValueError(
                    f"pattern {pattern} implies sparsity {n / m:g}, not {sparsity:g}; "
                    "leave `sparsity` out"
                )
        return sparsity

    @field_validator("scope")
    @classmethod
    def _global_is_unstructured_magnitude(cls, scope: str, info: ValidationInfo) -> str:
        if scope == "global" and info.data.get("pattern") is not None:
            raise ValueError(
                f"pattern {info.data['pattern']} is per group of weights: scope must be layer"
            )
        if scope == "global" and info.data.get("criterion") != "magnitude":
            raise ValueError(
                "scope = global compares raw magnitudes across layers: criterion must be magnitude"
            )
        return scope

    @field_validator("calibration")
    @classmethod
    def _only_for_wanda(
        cls, calibration: CalibrationConfig, info: ValidationInfo
    ) -> CalibrationConfig:
        if info.data.get("criterion") != "wanda":
            raise ValueError("`calibration` is only read by criterion = wanda")
        return calibration

    @property
    def target_sparsity(self) -> float:
        if self.pattern is not None:
            n, m = PATTERNS[self.pattern]
            return n / m
        assert self.sparsity is not None  # the validator requires one of the two
        return self.sparsity

    def after_load(self, model, device: str, dtype, tokenizer):
        import torch

        from engine.compression.layers import block_linears

        with torch.no_grad():
            if self.criterion == "wanda":
                _prune_wanda(model, self, tokenizer, device)
            elif self.scope == "global":
                _prune_global(list(block_linears(model).values()), self.target_sparsity)
            else:
                for layer in block_linears(model).values():
                    prune_layer(layer.weight, layer.weight.abs(), self)
        return model

    def for_inference(self, model, device: str) -> str:
        return "dense kernels (zeros are stored, not skipped)"

    def describe(self, model) -> tuple[dict, set[str]]:
        """What the step did (the achieved sparsity, see `verify`) and the layers it changed."""
        from engine.compression.layers import block_linears

        return {"method": self.model_dump(), **self.verify(model)}, set(block_linears(model))

    def verify(self, model) -> dict:
        """Achieved sparsity per layer type, measured on the weights; raises if off target."""
        from engine.compression.layers import block_linears, layer_type

        layers = block_linears(model)
        zeros: dict[str, int] = {}
        sizes: dict[str, int] = {}
        off: list[str] = []
        for name, layer in layers.items():
            w = layer.weight.detach()
            z = int((w == 0).sum())
            kind = layer_type(name)
            zeros[kind] = zeros.get(kind, 0) + z
            sizes[kind] = sizes.get(kind, 0) + w.numel()
            if self.pattern is not None:
                n, m = PATTERNS[self.pattern]
                bad = _groups_short_of_zeros(w, n, m)
                if bad:
                    off.append(f"{name}: {bad} groups of {m} with fewer than {n} zeros")
            elif (
                self.scope == "layer" and abs(z / w.numel() - self.target_sparsity) > 1 / w.shape[1]
            ):
                off.append(f"{name}: sparsity {z / w.numel():.4f}")
        total_zeros, total = sum(zeros.values()), sum(sizes.values())
        if self.scope == "global" and abs(total_zeros / total - self.target_sparsity) > 1 / total:
            off.append(f"all layers together: sparsity {total_zeros / total:.6f}")
        if off:
            raise CompressionNotApplied(
                f"prune asked for sparsity {self.target_sparsity:g}"
                f"{f' ({self.pattern})' if self.pattern else ''} but the weights have: "
                + "; ".join(off[:5])
                + (f" (and {len(off) - 5} more)" if len(off) > 5 else "")
            )
        return {
            "pruned_layers": len(layers),
            "sparsity": round(total_zeros / total, 6),
            "sparsity_by_layer_type": {k: round(zeros[k] / sizes[k], 6) for k in sizes},
            "pattern_checked": self.pattern,
        }


def prune_layer(weight: torch.Tensor, score: torch.Tensor, config: PruneConfig) -> None:
    """Zero in place the weights with the lowest scores: per N:M group, per row (wanda), or
    per layer (magnitude)."""
    import torch

    out_features, in_features = weight.shape
    if config.pattern is not None:
        n, m = PATTERNS[config.pattern]
        if in_features % m:
            raise ValueError(
                f"pattern {config.pattern} needs input widths divisible by {m}, got {in_features}"
            )
        groups = score.reshape(out_features, in_features // m, m)
        lowest = torch.topk(groups, n, dim=-1, largest=False).indices
        mask = torch.zeros_like(groups, dtype=torch.bool).scatter_(-1, lowest, True)
        weight[mask.reshape(out_features, in_features)] = 0
    # A stable sort, not topk: topk with k near half the elements is many times slower on
    # CPU, and the stable order makes ties (common in weights from 16-bit) deterministic.
    elif config.criterion == "wanda":
        k = round(config.target_sparsity * in_features)
        lowest = torch.argsort(score, dim=1, stable=True)[:, :k]
        weight.scatter_(1, lowest, 0.0)
    else:
        k = round(config.target_sparsity * weight.numel())
        lowest = torch.argsort(score.flatten(), stable=True)[:k]
        weight.view(-1)[lowest] = 0


def _prune_global(layers: list[torch.nn.Linear], sparsity: float) -> None:
    """One magnitude threshold for all layers; exactly round(sparsity * total) zeros, ties at
    the threshold (common in weights converted from 16-bit) broken in layer order."""
    import torch

    magnitudes = torch.cat([layer.weight.detach().abs().flatten() for layer in layers])
    k = round(sparsity * magnitudes.numel())
    threshold = torch.kthvalue(magnitudes, k).values
    ties_left = k - int((magnitudes < threshold).sum())
    del magnitudes
    for layer in layers:
        w = layer.weight
        tied = (w.abs() == threshold).view(-1)
        w[w.abs() < threshold] = 0
        tie_positions = tied.nonzero().flatten()[:ties_left]
        w.view(-1)[tie_positions] = 0
        ties_left -= tie_positions.numel()


class _BlockDone(Exception):
    """Stops a calibration forward pass once the block being measured has run."""


def _prune_wanda(model, config: PruneConfig, tokenizer, device: str) -> None:
    import torch

    from engine.compression.layers import block_linears, transformer_blocks

    windows = torch.tensor(config.calibration.token_windows(tokenizer), device=device)
    linears = block_linears(model)
    for block in transformer_blocks(model):
        inside = {id(m) for m in block.modules()}
        mine = [layer for layer in linears.values() if id(layer) in inside]
        norms = _input_norms(model, block, mine, windows)
        for layer in mine:
            prune_layer(layer.weight, layer.weight.abs() * norms[layer].unsqueeze(0), config)


def _input_norms(model, block, layers, windows: torch.Tensor) -> dict:
    """||X_j||_2 over every calibration token, for each input feature j of each layer."""
    import torch

    squares = {layer: torch.zeros(layer.in_features, device=windows.device) for layer in layers}

    def accumulate(layer, inputs):
        x = inputs[0].detach().reshape(-1, layer.in_features).float()
        squares[layer] += (x * x).sum(dim=0)

    def stop(module, inputs, output):
        raise _BlockDone

    hooks = [layer.register_forward_pre_hook(accumulate) for layer in layers]
    hooks.append(block.register_forward_hook(stop))
    try:
        model(input_ids=windows)
    except _BlockDone:
        pass
    finally:
        for hook in hooks:
            hook.remove()
    return {layer: s.sqrt() for layer, s in squares.items()}


def _groups_short_of_zeros(weight: torch.Tensor, n: int, m: int) -> int:
    out_features, in_features = weight.shape
    zeros = (weight == 0).reshape(out_features, in_features // m, m).sum(dim=-1)
    return int((zeros < n).sum())


STEPS.register("prune", PruneConfig, __name__)
