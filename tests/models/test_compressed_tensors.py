"""Checkpoints in the compressed-tensors format (what llm-compressor's GPTQ, AWQ, SmoothQuant
and SparseGPT save) load as variants: the scheme is recorded, every quantized layer counted,
and a W8A8 checkpoint quantizes activations in the forward pass that scores it.

The checkpoints here are made with compressed-tensors itself (round-to-nearest scales from
each group's range): llm-compressor cannot share fairgate's environment, and what is tested is
the loading, which is the same whatever chose the scales."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
import torch

from engine.models.loading import load_model
from engine.models.source import ModelRef, resolve
from tests.helpers import checkpoint_variant_outcomes


def compressed_checkpoint(source: Path, target: Path, scheme_name: str, group_size: int | None = None) -> Path:
    """`source` quantized with a compressed-tensors preset (W4A16, W8A8, ...) and saved as
    llm-compressor saves: compressed weights and the scheme in config.json."""
    from compressed_tensors.compressors import ModelCompressor
    from compressed_tensors.quantization import QuantizationConfig, apply_quantization_config, preset_name_to_scheme
    from compressed_tensors.quantization.utils import calculate_qparams
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32)
    scheme = preset_name_to_scheme(scheme_name, ["Linear"])
    if group_size:
        scheme.weights.group_size = group_size
    apply_quantization_config(model, QuantizationConfig(config_groups={"group_0": scheme}, ignore=["lm_head"]))
    for module in model.modules():
        if getattr(module, "quantization_scheme", None) is None:
            continue
        weight, args = module.weight.data, module.quantization_scheme.weights
        rows = weight.reshape(weight.shape[0], -1, args.group_size) if args.group_size else weight[:, None, :]
        scale, zero_point = calculate_qparams(rows.amin(-1), rows.amax(-1), args)
        module.weight_scale.data = scale.reshape(module.weight_scale.shape).to(module.weight_scale.dtype)
        module.weight_zero_point.data = zero_point.reshape(module.weight_zero_point.shape).to(module.weight_zero_point.dtype)
    compressor = ModelCompressor.from_pretrained_model(
        model, quantization_format="pack-quantized" if scheme.weights.num_bits == 4 else "int-quantized"
    )
    compressor.compress_model(model)
    model.save_pretrained(target)
    compressor.update_config(target)
    for tokenizer_file in Path(source).glob("tokenizer*"):
        shutil.copy(tokenizer_file, target)
    return target


@pytest.fixture(scope="module")
def tiny_saved(tiny_checkpoint, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("compressed-tensors")
    return {
        "w4a16": compressed_checkpoint(tiny_checkpoint, root / "w4a16", "W4A16", group_size=32),
        "w8a8": compressed_checkpoint(tiny_checkpoint, root / "w8a8", "W8A8"),
    }


def loaded(folder: Path):
    return load_model(resolve(ModelRef(str(folder))), "float32", "cpu", None)


def test_the_scheme_is_recorded_and_every_quantized_layer_counted(tiny_saved):
    _, report = loaded(tiny_saved["w4a16"])
    brought = report["checkpoint_quantization"]
    assert brought["quant_method"] == "compressed-tensors" and brought["format"] == "pack-quantized"
    weights = brought["config_groups"]["group_0"]["weights"]
    assert (weights["num_bits"], weights["group_size"], weights["strategy"]) == (4, 32, "group")
    assert brought["config_groups"]["group_0"]["input_activations"] is None
    assert report["compressed_linear_layers"] == 2 * 7 and report["linear_layers"] == 2 * 7 + 1
    assert report["method"] is None

    _, report = loaded(tiny_saved["w8a8"])
    activations = report["checkpoint_quantization"]["config_groups"]["group_0"]["input_activations"]
    assert (activations["num_bits"], activations["dynamic"], activations["strategy"]) == (8, True, "token")


def test_w8a8_quantizes_activations_in_the_forward_pass(tiny_saved):
    model, _ = loaded(tiny_saved["w8a8"])
    ids = torch.tensor([[1, 5, 9, 13, 20, 40, 80]])
    with torch.no_grad():
        quantized = model(ids).logits
        for module in model.modules():
            if getattr(module, "quantization_scheme", None) is not None:
                module.quantization_scheme.input_activations = None
        weights_only = model(ids).logits
    assert (quantized - weights_only).abs().max() > 1e-4


def test_a_compressed_tensors_checkpoint_runs_through_the_gate(tiny_saved, tiny_checkpoint, tmp_path):
    for outcome in checkpoint_variant_outcomes(tmp_path, str(tiny_checkpoint), tiny_saved).values():
        compression = outcome.variant.model["compression"]
        assert compression["checkpoint_quantization"]["quant_method"] == "compressed-tensors"
        assert compression["compressed_linear_layers"] == 2 * 7
        assert outcome.variant.model["identity"] != outcome.baseline.model["identity"]
        assert all(math.isfinite(v.value) for v in outcome.verdicts)


@pytest.mark.real_model
def test_a_w4a16_build_of_the_shipped_model_loads_with_a_sane_perplexity(real_checkpoint, tmp_path):
    saved = compressed_checkpoint(real_checkpoint, tmp_path / "w4a16", "W4A16", group_size=64)
    _, report = loaded(saved)
    _, plain = loaded(real_checkpoint)
    assert report["compressed_linear_layers"] == 30 * 7
    weights = report["checkpoint_quantization"]["config_groups"]["group_0"]["weights"]
    assert (weights["num_bits"], weights["group_size"]) == (4, 64)
    ppl = report["sanity"]["perplexity"]
    assert plain["sanity"]["perplexity"] < ppl < report["sanity"]["vocab_size"]
