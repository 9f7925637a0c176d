"""Checkpoints saved already quantized load as variants through transformers' own
quantization configs; a method whose backend is missing fails with the package to install."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from engine.evaluation import evaluate_model
from engine.models.checkpoints import QuantizationBackendMissing, check_backend
from engine.models.loading import load_model
from engine.models.source import ModelRef, resolve
from engine.run import GateRun
from engine.run_errors import RunError
from engine.spec.loader import load_spec
from engine.store import ResultStore
from tests.helpers import checkpoint_variant_outcomes

SAVED = {
    "bnb-int8": {"load_in_8bit": True},
    "bnb-nf4": {"load_in_4bit": True, "bnb_4bit_quant_type": "nf4"},
}


@pytest.fixture(scope="module")
def saved_checkpoints(real_checkpoint, tmp_path_factory) -> dict[str, Path]:
    """The real model quantized by bitsandbytes on load, then saved with save_pretrained."""
    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    root = tmp_path_factory.mktemp("prequantized")
    saved = {}
    for name, options in SAVED.items():
        model = AutoModelForCausalLM.from_pretrained(
            real_checkpoint,
            dtype=torch.float32,
            quantization_config=BitsAndBytesConfig(**options),
            device_map="cpu",
        )
        model.save_pretrained(root / name)
        for tokenizer_file in real_checkpoint.glob("tokenizer*"):
            shutil.copy(tokenizer_file, root / name)
        saved[name] = root / name
    return saved


@pytest.fixture(scope="module")
def plain_report(real_checkpoint) -> dict:
    return load_model(resolve(ModelRef(str(real_checkpoint))), "float32", "cpu", None)[1]


@pytest.mark.real_model
@pytest.mark.parametrize("name", sorted(SAVED))
def test_a_saved_bitsandbytes_checkpoint_reports_what_it_brought(name, saved_checkpoints, plain_report):
    _, report = load_model(resolve(ModelRef(str(saved_checkpoints[name]))), "float32", "cpu", None)
    brought = report["checkpoint_quantization"]
    assert brought["quant_method"] == "bitsandbytes"
    assert brought["load_in_8bit" if name == "bnb-int8" else "load_in_4bit"] is True
    # Every linear layer but the (tied) output head is quantized: 30 layers x 7.
    assert report["linear_layers"] == plain_report["linear_layers"]
    assert report["compressed_linear_layers"] == 30 * 7
    assert report["weight_bytes"] < 0.6 * plain_report["weight_bytes"]
    assert report["method"] is None  # nothing was declared in the spec: the checkpoint brought it


@pytest.mark.real_model
def test_saved_checkpoints_run_through_the_gate_as_variants(saved_checkpoints, tmp_path):
    outcomes = checkpoint_variant_outcomes(tmp_path, "builtin:smollm2-135m-instruct", saved_checkpoints)
    for outcome in outcomes.values():
        compression = outcome.variant.model["compression"]
        assert compression["checkpoint_quantization"]["quant_method"] == "bitsandbytes"
        assert compression["compressed_linear_layers"] == 30 * 7
        assert outcome.variant.model["identity"] != outcome.baseline.model["identity"]
        for verdict in outcome.verdicts:
            assert math.isfinite(verdict.value), verdict.message()


def quantized_config(folder: Path, quantization_config: dict) -> Path:
    """A checkpoint directory whose config.json declares a quantization method (the weights
    are never read: the backend check comes first)."""
    folder.mkdir()
    config = {"model_type": "llama", "architectures": ["LlamaForCausalLM"]}
    (folder / "config.json").write_text(json.dumps({**config, "quantization_config": quantization_config}))
    (folder / "model.safetensors").write_bytes(b"")
    return folder


# What transformers asks for depends on what is installed: GPTQ needs optimum, then gptqmodel.
GPTQ_PACKAGES = {"optimum", "gptqmodel"}
GPTQ = {"quant_method": "gptq", "bits": 4, "group_size": 128, "desc_act": False, "sym": True}
AWQ = {"quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": True, "version": "gemm"}


@pytest.mark.parametrize(
    "quantization_config, packages", [(GPTQ, GPTQ_PACKAGES), (AWQ, {"gptqmodel"})], ids=["gptq", "awq"]
)
def test_a_method_without_its_backend_names_the_package(quantization_config, packages, tmp_path):
    folder = quantized_config(tmp_path / "ckpt", quantization_config)
    with pytest.raises(QuantizationBackendMissing) as info:
        check_backend(folder)
    assert info.value.package in packages
    assert str(folder / "config.json") in str(info.value)
    assert quantization_config["quant_method"] in str(info.value)


@pytest.mark.parametrize(
    "quantization_config, packages", [(GPTQ, GPTQ_PACKAGES), (AWQ, {"gptqmodel"})], ids=["gptq", "awq"]
)
def test_the_gate_turns_a_missing_backend_into_a_run_error(quantization_config, packages, tmp_path, tiny_checkpoint):
    quantized_config(tmp_path / "ckpt", quantization_config)
    spec = tmp_path / "spec.toml"
    spec.write_text(
        f'name = "x"\n[baseline]\nmodel = "{tiny_checkpoint}"\n[[variants]]\nname = "v"\nmodel = "./ckpt"\n'
        '[[checks]]\nmetric = "crows_pairs.stereotype_score"\nmax_examples = 2\ntolerance = 0.5\n'
    )
    run = GateRun(load_spec(spec), ResultStore(tmp_path / "cache"))
    with pytest.raises(RunError) as info:
        evaluate_model(run.plan("v"), [], run.store)
    message = str(info.value)
    assert message.startswith(f"{spec}: variant 'v': ")
    assert any(f"pip install {package}`" in message for package in packages), message
    assert "Traceback" not in message


def test_a_checkpoint_without_quantization_config_needs_no_backend(tiny_checkpoint):
    check_backend(tiny_checkpoint)
