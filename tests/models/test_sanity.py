"""Every loaded model gets a perplexity on a fixed text; a broken compression is refused unless
the variant allows it."""

from __future__ import annotations

import math

import pytest
import torch

from engine.evaluation import evaluate_model
from engine.compression.calibration import CalibrationConfig, calibration_sentences, sanity_text
from engine.compression.hqq import HQQConfig
from engine.models.loading import load_model
from engine.models.sanity import broken_reason
from engine.models.source import ModelRef, resolve
from engine.run_errors import RunError


def test_sanity_text_is_fixed_and_kept_out_of_calibration():
    text = sanity_text()
    assert text == sanity_text() and 1500 <= len(text) < 3000
    assert not any(sentence in text for sentence in calibration_sentences("bold-wikipedia")[:500])


def test_calibration_windows_are_deterministic(tiny_checkpoint):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint)
    calibration = CalibrationConfig(samples=3, tokens=16)
    windows = calibration.token_windows(tokenizer)
    assert windows == calibration.token_windows(tokenizer)
    assert [len(w) for w in windows] == [16, 16, 16]


def report(ppl: float, before: float | None, vocab: int = 100) -> dict:
    return {"perplexity": ppl, "uncompressed_perplexity": before, "vocab_size": vocab}


@pytest.mark.parametrize(
    "ppl,before", [(math.nan, 20.0), (math.inf, None), (100.0, 20.0), (5000.0, 20.0)]
)
def test_non_finite_or_guessing_after_compression_is_broken(ppl, before):
    assert broken_reason(report(ppl, before)).startswith("compression broken: perplexity")


@pytest.mark.parametrize("ppl,before", [(99.0, 20.0), (400.0, 390.0), (150.0, None)])
def test_better_than_guessing_or_already_at_chance_is_not_broken(ppl, before):
    assert broken_reason(report(ppl, before)) is None


def test_every_loaded_model_reports_its_perplexity(tiny_checkpoint):
    _, plain = load_model(resolve(ModelRef(str(tiny_checkpoint))), "float32", "cpu", None)
    sanity = plain["sanity"]
    assert sanity["uncompressed_perplexity"] is None  # nothing was compressed
    assert sanity["tokens"] == 256  # cut to the tiny model's context length
    assert math.isfinite(sanity["perplexity"]) and sanity["vocab_size"] == 396


def test_nan_weights_make_a_broken_compression(tiny_checkpoint, monkeypatch):
    quantize = HQQConfig.after_load

    def poisoned(self, model, device, dtype, tokenizer):
        with torch.no_grad():
            model.model.layers[0].self_attn.q_proj.weight.fill_(math.nan)
        return quantize(self, model, device, dtype, tokenizer)

    monkeypatch.setattr(HQQConfig, "after_load", poisoned)
    _, compression = load_model(
        resolve(ModelRef(str(tiny_checkpoint))), "float32", "cpu", HQQConfig(method="hqq", nbits=4)
    )
    assert compression["sanity"]["broken"].startswith("compression broken: perplexity nan on the sanity text")


def test_a_broken_variant_is_refused_unless_allowed_even_from_the_cache(tiny_checkpoint, monkeypatch, tmp_path):
    from engine.store import ResultStore
    from tests.helpers import plan_for

    monkeypatch.setattr("engine.models.load.load_model", lambda *a, **k: (None, {"sanity": {"broken": "compression broken: x"}}))
    store = ResultStore(tmp_path)
    plan = plan_for(tiny_checkpoint, HQQConfig(method="hqq", nbits=4), label="v")
    with pytest.raises(RunError, match="compression broken: x.*allow_broken = true"):
        evaluate_model(plan, [], store, reference=None)
    import dataclasses

    allowed = evaluate_model(dataclasses.replace(plan, allow_broken=True), [], store)
    assert allowed.model["compression"]["sanity"]["broken"] == "compression broken: x"
    with pytest.raises(RunError, match="compression broken"):  # the report now comes from the cache
        evaluate_model(plan, [], store)


@pytest.mark.real_model
def test_real_baseline_perplexity_is_far_better_than_guessing(real_checkpoint):
    _, plain = load_model(resolve(ModelRef(str(real_checkpoint))), "float32", "cpu", None)
    sanity = plain["sanity"]
    print(f"baseline: perplexity {sanity['perplexity']:.2f} over {sanity['tokens']} tokens")
    assert 1 < sanity["perplexity"] < 100 < sanity["vocab_size"]
