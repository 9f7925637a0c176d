"""Load a resolved checkpoint, apply the declared compression, and prove it took effect."""

from __future__ import annotations

import json
from typing import Any, Sequence

from engine.compression import compression_steps, known_compressed_types, steps_dump
from engine.models.source import ResolvedModel


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def device_placement(model) -> dict[str, Any]:
    """Module name -> device of a model loaded with a device_map; transformers sets no map
    when everything fit on one device."""
    placed = getattr(model, "hf_device_map", None)
    return dict(placed) if placed else {"": str(model.device)}


def input_device(model) -> str:
    """Where a model spread by accelerate takes its inputs: the device of its first module
    (accelerate's hooks move them on from there); the CPU when that was offloaded to disk."""
    first = next(iter(device_placement(model).values()))
    if isinstance(first, int):
        return f"cuda:{first}"
    return "cpu" if first == "disk" else str(first)


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
    compression: Any | Sequence[Any] | None,
    trust_remote_code: bool = False,
    placement: dict[str, Any] | None = None,
) -> tuple[Any, dict]:
    """The model on `device`, compressed by each declared step in order, and a report of what
    was applied, with `sanity.broken` saying why if a compressed model fails the perplexity
    check (the caller decides whether it may still be judged). `placement`: from_pretrained's
    device_map, max_memory and offload_folder, to spread it over devices instead."""
    import torch
    from transformers import AutoModelForCausalLM

    from engine.models.sanity import broken_reason, perplexity, sanity_report

    steps = compression_steps(compression)
    torch_dtype = getattr(torch, dtype)
    kwargs: dict[str, Any] = {
        "dtype": torch_dtype,
        "use_safetensors": True,
        "trust_remote_code": trust_remote_code,
    }
    # The spec checks allow only the first step to act while loading.
    while_loading = bool(steps) and steps[0].while_loading
    kwargs.update(steps[0].load_kwargs(device) if steps else {})
    kwargs.update(placement or {})
    model = AutoModelForCausalLM.from_pretrained(resolved.path, **kwargs)
    if "device_map" not in kwargs:
        model.to(device)
    model.eval()
    if placement:
        device = input_device(model)
    tokenizer = load_tokenizer(resolved, trust_remote_code)
    uncompressed = perplexity(model, tokenizer, device) if steps and not while_loading else None
    step_reports, touched = [], set()
    for step in steps:
        model = step.after_load(model, device, torch_dtype, tokenizer)
        report, names = step.describe(model)
        step_reports.append(report)
        touched |= names
    model.eval()
    if uncompressed is None and steps:
        uncompressed = steps[0].uncompressed_perplexity(model)
    report = describe_compression(model, steps, step_reports, touched)
    report["sanity"] = sanity_report(model, tokenizer, device, uncompressed)
    if steps:
        report["sanity"]["broken"] = broken_reason(report["sanity"])
        report["forward"] = "; ".join(step.for_inference(model, device) for step in steps)
    return model, report


def describe_compression(
    model, steps: Sequence[Any] = (), step_reports: Sequence[dict] = (), touched: set[str] = frozenset()
) -> dict:
    """Counts of linear layers and bytes of weights, and each step's own report."""
    # Without a declared method, count what a pre-compressed checkpoint brought with it:
    # layers of a known quantized type, or (compressed-tensors) plain linear layers that carry
    # the quantization scheme they were decompressed from and run under.
    if not steps:
        known = known_compressed_types()
        touched = {
            name for name, m in model.named_modules()
            if isinstance(m, known) or getattr(m, "quantization_scheme", None) is not None
        }
    linear = len(set(_linear_layer_names(model)) | touched)
    return {
        "method": steps_dump(steps),
        "steps": list(step_reports),
        "linear_layers": linear,
        "compressed_linear_layers": len(touched),
        "compressed_share": round(len(touched) / linear, 4) if linear else 0.0,
        "weight_bytes": weight_bytes(model),
        "checkpoint_quantization": _checkpoint_quantization(model),
    }


def _linear_layer_names(model) -> list[str]:
    import torch

    return [name for name, m in model.named_modules() if isinstance(m, torch.nn.Linear)]


def weight_bytes(model) -> int:
    """Bytes of parameters and buffers, counting HQQ's metadata tensors and torch's packed
    dynamic int8 weights (both held outside parameters and buffers)."""
    import torch

    total = 0
    seen: set[int] = set()
    # Unpacking makes new tensors: holding them until the count ends keeps a freed one's
    # address from being reused by the next and mistaken for a tied weight.
    held = []
    for module in model.modules():
        tensors = list(module.parameters(recurse=False)) + list(module.buffers(recurse=False))
        meta = getattr(module, "meta", None)
        if isinstance(meta, dict):
            tensors += [v for v in meta.values() if isinstance(v, torch.Tensor)]
        # A dynamic int8 layer and the LinearPackedParams module inside it both answer
        # `_weight_bias`; the inner one, whose `_packed_params` is the packed data, is counted.
        if hasattr(module, "_packed_params") and not isinstance(module._packed_params, torch.nn.Module):
            weight, bias = module._weight_bias()
            tensors += [weight] + ([bias] if bias is not None else [])
        for t in (inner for tensor in tensors for inner in _stored_tensors(tensor)):
            if t.data_ptr() in seen:  # tied weights count once
                continue
            seen.add(t.data_ptr())
            held.append(t)
            total += t.numel() * t.element_size()
    return total


def _stored_tensors(tensor) -> list:
    """The plain tensors holding `tensor`'s data: a quantized tensor subclass (optimum-quanto)
    reports its float shape and dtype, while its bytes are in its inner tensors."""
    if not hasattr(tensor, "__tensor_flatten__"):
        return [tensor]
    names, _ = tensor.__tensor_flatten__()
    return [inner for name in names for inner in _stored_tensors(getattr(tensor, name))]


def _checkpoint_quantization(model) -> Any:
    config = getattr(model.config, "quantization_config", None)
    if config is None:
        return None
    as_dict = config if isinstance(config, dict) else config.to_dict()
    return json.loads(json.dumps(as_dict, default=str))  # enums and dtypes as plain strings
