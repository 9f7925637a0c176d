"""Load a resolved checkpoint, apply the declared compression, and prove it took effect."""

from __future__ import annotations

import json
from typing import Any

from engine.models.source import ResolvedModel


class CompressionNotApplied(RuntimeError):
    pass


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def load_tokenizer(resolved: ResolvedModel, trust_remote_code: bool = False):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolved.path, trust_remote_code=trust_remote_code)


def sliding_window(resolved: ResolvedModel, trust_remote_code: bool = False) -> int | None:
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(resolved.path, trust_remote_code=trust_remote_code)
    return getattr(config, "sliding_window", None)


def load_model(
    resolved: ResolvedModel,
    dtype: str,
    device: str,
    quantization: Any | None,
    trust_remote_code: bool = False,
) -> tuple[Any, dict]:
    """The model on `device`, compressed as declared, and a report of what was applied."""
    import torch
    from transformers import AutoModelForCausalLM

    torch_dtype = getattr(torch, dtype)
    kwargs: dict[str, Any] = {
        "dtype": torch_dtype,
        "use_safetensors": True,
        "trust_remote_code": trust_remote_code,
    }
    if quantization is not None:
        kwargs.update(quantization.load_kwargs(device))
    model = AutoModelForCausalLM.from_pretrained(resolved.path, **kwargs)
    if "device_map" not in kwargs:
        model.to(device)
    if quantization is not None:
        model = quantization.after_load(model, device, torch_dtype)
    model.eval()
    report = describe_compression(model, quantization)
    if quantization is not None:
        report["forward"] = quantization.for_inference(model, device)
    return model, report


def describe_compression(model, quantization) -> dict:
    """Counts of linear layers and bytes of weights; raises if a declared method did nothing."""
    import torch

    # Without a declared method, count what a pre-compressed checkpoint brought with it.
    compressed_types = (
        quantization.compressed_types() if quantization is not None else _known_compressed_types()
    )
    linear, compressed = 0, 0
    for module in model.modules():
        if compressed_types and isinstance(module, compressed_types):
            compressed += 1
            linear += 1
        elif isinstance(module, torch.nn.Linear):
            linear += 1
    report = {
        "method": quantization.model_dump() if quantization is not None else None,
        "linear_layers": linear,
        "compressed_linear_layers": compressed,
        "weight_bytes": weight_bytes(model),
        "checkpoint_quantization": _checkpoint_quantization(model),
    }
    if quantization is not None and compressed == 0:
        raise CompressionNotApplied(
            f"{quantization.method} was declared but no linear layer was replaced "
            f"({linear} linear layers found, none of type "
            f"{', '.join(t.__name__ for t in compressed_types)})"
        )
    return report


def _known_compressed_types() -> tuple[type, ...]:
    from engine.models.bitsandbytes import BitsAndBytes4bitConfig, BitsAndBytes8bitConfig
    from engine.models.hqq import HQQConfig

    methods = (HQQConfig, BitsAndBytes8bitConfig, BitsAndBytes4bitConfig)
    return tuple(t for method in methods for t in method.compressed_types())


def weight_bytes(model) -> int:
    """Bytes of parameters and buffers, counting HQQ's metadata tensors (held outside them)."""
    import torch

    total = 0
    seen: set[int] = set()
    for module in model.modules():
        tensors = list(module.parameters(recurse=False)) + list(module.buffers(recurse=False))
        meta = getattr(module, "meta", None)
        if isinstance(meta, dict):
            tensors += [v for v in meta.values() if isinstance(v, torch.Tensor)]
        for t in tensors:
            if t.data_ptr() in seen:  # tied weights count once
                continue
            seen.add(t.data_ptr())
            total += t.numel() * t.element_size()
    return total


def _checkpoint_quantization(model) -> Any:
    config = getattr(model.config, "quantization_config", None)
    if config is None:
        return None
    as_dict = config if isinstance(config, dict) else config.to_dict()
    return json.loads(json.dumps(as_dict, default=str))  # enums and dtypes as plain strings
