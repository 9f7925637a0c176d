"""vLLM's own quantization as a step: what it declares, and that nothing but vLLM applies it
(it runs on the shipped model in tests/models/test_vllm_real.py)."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from engine import compression
from engine.compression.base import CompressionUnsupported
from engine.compression.vllm_online import SCHEMES, VllmOnlineConfig


def test_a_scheme_is_one_vllm_names_and_sets_the_bits():
    step = TypeAdapter(compression.spec_union()).validate_python({"method": "vllm", "scheme": "fp8_per_channel"})
    assert isinstance(step, VllmOnlineConfig) and step.engines == ("vllm",) and step.applied_by_engine
    assert VllmOnlineConfig.bits_of({"method": "vllm", "scheme": "mxfp4"}) == 4
    assert {VllmOnlineConfig.bits_of({"scheme": s}) for s in SCHEMES} == {4, 8}
    with pytest.raises(ValidationError, match="fp8_per_channel"):
        VllmOnlineConfig(method="vllm", scheme="bitsandbytes")
    # vLLM's MoE-only schemes would leave a dense model's layers as they were.
    with pytest.raises(ValidationError):
        VllmOnlineConfig(method="vllm", scheme="int8_per_channel_weight_only")


def test_transformers_never_applies_it():
    step = VllmOnlineConfig(method="vllm", scheme="fp8")
    for apply in (lambda: step.after_load(None, "cpu", None, None), lambda: step.describe(None), lambda: step.for_inference(None, "cpu")):
        with pytest.raises(CompressionUnsupported, match='runs only on the vllm engine'):
            apply()
