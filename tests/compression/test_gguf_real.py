"""GGUF builds of the real shipped models: SmolLM2's GGUF re-quantized to Q8_0 and Q4_0, and
the shipped Gemma 3 Q4_K_M file named by its path."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
import torch
from gguf import GGUFReader

from engine.compression.gguf import GgufConfig
from engine.models import builtin
from engine.models.load import load
from engine.models.plan import ModelPlan
from engine.models.sanity import sanity_ids
from engine.models.source import ModelRef
from engine.run import GateRun
from engine.spec.loader import load_spec
from engine.store import ResultStore
from tests.helpers import run_real_gate

pytestmark = pytest.mark.real_model

SMOLLM2 = "builtin:smollm2-135m-instruct"
EXAMPLE = Path(__file__).resolve().parents[2] / "specs" / "examples" / "gguf-builds.toml"
CHEAP_CHECK = """
[[checks]]
metric = "crows_pairs.stereotype_score"
max_examples = 4
tolerance = 0.5
"""


def loaded(quantization):
    plan = ModelPlan("m", ModelRef(SMOLLM2), "float32", "cpu", quantization, False, 4)
    model = load(plan, cache_root=Path(os.environ["FAIRGATE_CACHE"]))
    backend, report = model.weights()
    return model, backend.model, report


@pytest.fixture(scope="module")
def builds():
    return {t: loaded(GgufConfig(method="gguf", type=t)) for t in ("Q8_0", "Q4_0")}


def test_builds_hold_the_declared_type_and_record_it(builds):
    for type_name, (model, _, report) in builds.items():
        recorded = model.source.describe()["gguf"]
        reader = GGUFReader(recorded["file"])
        matrices = {t.tensor_type.name for t in reader.tensors if len(t.shape) >= 2}
        vectors = {t.tensor_type.name for t in reader.tensors if len(t.shape) < 2}
        assert matrices == {type_name} and vectors == {"F32"}
        assert recorded["quantized_types"] == [type_name]
        assert recorded["file_type"] == f"MOSTLY_{type_name}"
        total = sum(int(t.n_bytes) for t in reader.tensors)
        assert recorded["bits_per_weight"] == 8 * total / sum(int(t.n_elements) for t in reader.tensors)
        assert report["method"] == {"method": "gguf", "type": type_name}
        assert report["compressed_linear_layers"] > 0
        ppl = report["sanity"]["perplexity"]
        assert ppl == ppl and ppl < report["sanity"]["vocab_size"] and report["sanity"]["broken"] is None
    assert builds["Q8_0"][0].identity != builds["Q4_0"][0].identity


def test_q8_0_stays_closer_to_the_baseline_than_q4_0(builds):
    _, baseline, _ = loaded(None)
    tokenizer = builds["Q8_0"][0].tokenizer
    ids = sanity_ids(baseline, tokenizer, "cpu")
    with torch.no_grad():
        reference = baseline(input_ids=ids).logits
        drift = {t: float((m(input_ids=ids).logits - reference).abs().mean()) for t, (_, m, _) in builds.items()}
    assert 0 < drift["Q8_0"] < drift["Q4_0"]


def test_a_gguf_build_runs_through_the_gate(tmp_path):
    verdicts = run_real_gate(
        tmp_path, CHEAP_CHECK, aggressive=("gguf-q4_0", '{ method = "gguf", type = "Q4_0" }')
    )
    assert all(v.change == 0.0 for v in verdicts["identical"].values())
    built = verdicts["gguf-q4_0"]
    assert built and all(v.n > 0 for v in built.values())
    assert any(v.change != 0.0 for v in built.values())


def test_the_example_spec_validates_and_runs(tmp_path):
    run = GateRun(load_spec(EXAMPLE), ResultStore(tmp_path / "results"))
    outcome = run.evaluate_variant("gguf-q8_0")
    assert outcome.verdicts and all(v.n > 0 for v in outcome.verdicts)
    assert outcome.variant.model["gguf"]["quantized_types"] == ["Q8_0"]
    assert outcome.variant.model["compression"]["sanity"]["broken"] is None


def test_the_shipped_gemma_file_named_by_path_equals_the_builtin_gemma(tmp_path):
    gguf = builtin.gguf_path("gemma3-270m")
    spec = tmp_path / "gemma.toml"
    spec.write_text(
        textwrap.dedent(
            f"""
            name = "gemma-file"
            [baseline]
            model = "builtin:gemma3-270m"
            [[variants]]
            name = "q4_k_m-file"
            model = "{gguf}"
            """
        )
        + CHEAP_CHECK
    )
    outcome = GateRun(load_spec(spec), ResultStore(tmp_path / "results")).evaluate_variant("q4_k_m-file")
    assert outcome.verdicts and all(v.change == 0.0 for v in outcome.verdicts)
    recorded = outcome.variant.model["gguf"]
    assert recorded["file_type"] == "MOSTLY_Q4_K_M" and "Q4_K" in recorded["quantized_types"]
    assert 4 < recorded["bits_per_weight"] < 8
