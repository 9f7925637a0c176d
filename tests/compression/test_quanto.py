"""optimum-quanto weight-only int8 / int4 on the block linears, run on the CPU."""

from __future__ import annotations

import pytest

from engine.models.loading import load_model
from engine.compression.quanto import QuantoConfig
from engine.models.source import ModelRef, resolve


@pytest.mark.parametrize("weights", ["int8", "int4"])
def test_block_linears_are_quantized_and_smaller(tiny_checkpoint, weights):
    from optimum.quanto.nn import QLinear

    resolved = resolve(ModelRef(str(tiny_checkpoint)))
    _, plain = load_model(resolved, "float32", "cpu", None)
    model, report = load_model(
        resolved, "float32", "cpu", QuantoConfig(method="quanto", weights=weights)
    )
    assert report["compressed_linear_layers"] == 14 and report["linear_layers"] == 15
    assert not isinstance(model.lm_head, QLinear)
    # The tied embedding / lm_head stays float32 and bounds the saving on this tiny model.
    assert report["weight_bytes"] < 0.5 * plain["weight_bytes"]


@pytest.mark.real_model
def test_real_model_int4_bytes_and_sanity(real_checkpoint):
    resolved = resolve(ModelRef(str(real_checkpoint)))
    _, report = load_model(
        resolved, "float32", "cpu", QuantoConfig(method="quanto", weights="int4")
    )
    assert report["compressed_linear_layers"] == 30 * 7
    sanity = report["sanity"]
    print(
        f"quanto int4: perplexity {sanity['perplexity']:.2f} (uncompressed {sanity['uncompressed_perplexity']:.2f}), "
        f"{report['weight_bytes']} bytes"
    )
    assert (
        sanity["uncompressed_perplexity"]
        < sanity["perplexity"]
        < 2 * sanity["uncompressed_perplexity"]
    )
