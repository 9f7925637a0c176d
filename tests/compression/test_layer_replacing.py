"""Each compression method replaces the linear layers it claims to, on tiny and real models."""

from __future__ import annotations

import pytest

from engine.compression.bitsandbytes import BitsAndBytes4bitConfig, BitsAndBytes8bitConfig
from engine.compression.hqq import HQQConfig
from engine.models.loading import load_model
from engine.compression.base import CompressionNotApplied
from engine.models.source import ModelRef, resolve

METHODS = [
    HQQConfig(method="hqq", nbits=4, group_size=64),
    HQQConfig(method="hqq", nbits=2, group_size=32, axis=0),
    BitsAndBytes8bitConfig(method="bitsandbytes", bits=8),
    BitsAndBytes4bitConfig(method="bitsandbytes", bits=4, quant_type="fp4", double_quant=True),
]


@pytest.mark.parametrize("quantization", METHODS, ids=lambda q: f"{q.method}-{q.model_dump()}")
def test_declared_quantization_replaces_every_decoder_linear(tiny_checkpoint, quantization):
    resolved = resolve(ModelRef(str(tiny_checkpoint)))
    _, plain = load_model(resolved, "float32", "cpu", None)
    _, report = load_model(resolved, "float32", "cpu", quantization)
    # 2 layers x (q, k, v, o, gate, up, down); lm_head stays in full precision.
    assert report["compressed_linear_layers"] == 14
    assert report["linear_layers"] == plain["linear_layers"] == 15
    assert report["weight_bytes"] < plain["weight_bytes"]
    assert report["method"] == quantization.model_dump()


def test_quantization_that_replaces_nothing_fails_loudly(tiny_checkpoint, monkeypatch):
    resolved = resolve(ModelRef(str(tiny_checkpoint)))
    quantization = HQQConfig(method="hqq", nbits=4)
    monkeypatch.setattr(HQQConfig, "after_load", lambda self, model, device, dtype, tokenizer: model)
    with pytest.raises(CompressionNotApplied, match="hqq was declared but no linear layer"):
        load_model(resolved, "float32", "cpu", quantization)


def test_pre_compressed_checkpoint_is_recognised(tiny_nf4_checkpoint):
    _, report = load_model(resolve(ModelRef(str(tiny_nf4_checkpoint))), "float32", "cpu", None)
    assert report["method"] is None
    assert report["compressed_linear_layers"] == 14
    assert report["checkpoint_quantization"]["bnb_4bit_quant_type"] == "nf4"


@pytest.mark.real_model
@pytest.mark.parametrize(
    "quantization,max_fraction",
    [
        (HQQConfig(method="hqq", nbits=4, group_size=64), 0.40),
        (BitsAndBytes4bitConfig(method="bitsandbytes", bits=4, quant_type="nf4"), 0.40),
        (BitsAndBytes8bitConfig(method="bitsandbytes", bits=8), 0.50),
    ],
    ids=["hqq4", "nf4", "int8"],
)
def test_real_model_is_compressed(real_checkpoint, quantization, max_fraction):
    resolved = resolve(ModelRef(str(real_checkpoint)))
    _, plain = load_model(resolved, "float32", "cpu", None)
    _, report = load_model(resolved, "float32", "cpu", quantization)
    assert report["compressed_linear_layers"] == 30 * 7  # every decoder projection
    # The tied embedding / lm_head (28M parameters) stays in float32, which bounds the saving.
    assert report["weight_bytes"] < max_fraction * plain["weight_bytes"]


def test_hqq_dequantized_once_gives_bit_identical_log_likelihoods(tiny_checkpoint, tmp_path):
    """The CPU speed-up for HQQ must not change a single bit of what HQQ computes."""
    import torch
    from hqq.core.quantize import HQQLinear

    from engine.compression.hqq import dequantized_linear

    resolved = resolve(ModelRef(str(tiny_checkpoint)))
    quantization = HQQConfig(method="hqq", nbits=3, group_size=64)
    fast, report = load_model(resolved, "float32", "cpu", quantization)
    assert "dequantized once" in report["forward"] and report["compressed_linear_layers"] == 14
    assert not any(isinstance(m, HQQLinear) for m in fast.modules())
    reference = quantization.after_load(
        load_model(resolved, "float32", "cpu", None)[0], "cpu", torch.float32, None
    )
    assert sum(isinstance(m, HQQLinear) for m in reference.modules()) == 14
    assert sum(isinstance(m, dequantized_linear()) for m in fast.modules()) == 14
    ids = torch.randint(0, fast.config.vocab_size, (3, 17), generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        assert torch.equal(fast(ids).logits, reference(ids).logits)
