"""llm-compressor's GPTQ, AWQ, SmoothQuant W8A8 and SparseGPT as compression steps, on the tiny
model: each built for real in llm-compressor's own environment (what `make llm-compressor`
builds), its scheme checked on the saved checkpoint, cached, and judged by the gate."""

from __future__ import annotations

import json
import math
import textwrap

import pytest
import torch
from pydantic import TypeAdapter

from engine import compression
from engine.cli import main
from engine.compression import llm_compressor_build
from engine.compression.base import CompressionNotApplied
from engine.compression.llm_compressor_build import LlmCompressorFailed
from engine.environments import EnvironmentUnavailable
from engine.exit_codes import ExitCode
from engine.models.load import load
from tests.helpers import plan_for

CALIBRATION = {"samples": 8, "tokens": 32}
TABLES = {
    "gptq": {"method": "gptq", "bits": 4, "group_size": 32, "calibration": CALIBRATION},
    "gptq-w3": {"method": "gptq", "bits": 3, "group_size": 32, "calibration": CALIBRATION},
    "awq": {"method": "awq", "bits": 4, "group_size": 32, "calibration": CALIBRATION},
    "smoothquant": {"method": "smoothquant", "smoothing_strength": 0.8, "calibration": CALIBRATION},
    "sparsegpt-2of4": {"method": "sparsegpt", "pattern": "2:4", "calibration": CALIBRATION},
    "sparsegpt-50": {"method": "sparsegpt", "sparsity": 0.5, "calibration": CALIBRATION},
    "gptq-other-calibration": {"method": "gptq", "bits": 4, "group_size": 32, "calibration": {"samples": 4, "tokens": 32}},
}


def step(table: dict):
    return TypeAdapter(compression.spec_union()).validate_python(table)


@pytest.fixture(scope="module")
def built(tiny_checkpoint, tmp_path_factory):
    """Each method's variant of the tiny model, loaded: (LoadedModel, model, report)."""
    cache = tmp_path_factory.mktemp("llmc-cache")
    loaded = {}
    for name, table in TABLES.items():
        model = load(plan_for(tiny_checkpoint, step(table)), cache_root=cache)
        backend, report = model.weights()
        loaded[name] = (model, backend.model, report)
    return loaded


def saved_config(model) -> dict:
    return json.loads((model.source.path / "config.json").read_text())


def test_the_saved_checkpoints_have_the_declared_schemes(built):
    weights = {
        name: saved_config(built[name][0])["quantization_config"]["config_groups"]["group_0"]["weights"]
        for name in ("gptq", "gptq-w3", "awq", "smoothquant")
    }
    assert {n: (w["num_bits"], w["group_size"], w["strategy"], w["symmetric"]) for n, w in weights.items()} == {
        "gptq": (4, 32, "group", True),
        "gptq-w3": (3, 32, "group", True),
        "awq": (4, 32, "group", False),
        "smoothquant": (8, None, "channel", True),
    }
    activations = saved_config(built["smoothquant"][0])["quantization_config"]["config_groups"]["group_0"][
        "input_activations"
    ]
    assert (activations["num_bits"], activations["strategy"], activations["dynamic"]) == (8, "token", True)
    # symmetric 4-bit weights are packed as vLLM loads them; zero points are saved unpacked
    assert saved_config(built["gptq"][0])["quantization_config"]["format"] == "pack-quantized"
    assert saved_config(built["awq"][0])["quantization_config"]["format"] == "int-quantized"
    for name in ("sparsegpt-2of4", "sparsegpt-50"):
        _, model, report = built[name]
        assert report["steps"][0]["sparsity"] == pytest.approx(0.5, abs=1e-3)
    assert built["sparsegpt-2of4"][2]["steps"][0]["pattern_checked"] == "2:4"


def test_every_layer_is_compressed_and_the_build_is_recorded(built, tiny_checkpoint):
    from engine.models.loading import load_model
    from engine.models.source import ModelRef, resolve

    _, plain = load_model(resolve(ModelRef(str(tiny_checkpoint))), "float32", "cpu", None)
    for name, (_, _, report) in built.items():
        step_report = report["steps"][0]
        assert report["compressed_linear_layers"] == 2 * 7, name
        assert step_report["build"]["versions"]["llmcompressor"], name
        assert step_report["recipe"]["fairgate_stage"]["fairgate_modifiers"], name
        # the build measured the uncompressed model's sanity perplexity as fairgate does
        uncompressed = report["sanity"]["uncompressed_perplexity"]
        assert uncompressed == pytest.approx(plain["sanity"]["perplexity"], rel=1e-5), name


def test_the_loaded_model_computes_what_llm_compressor_computed(built):
    """The perplexity llm-compressor's environment measured on its model right after
    `oneshot` equals the one fairgate measures on the checkpoint it loaded: saving, loading
    and decompressing lost nothing, activation quantization included."""
    for name, (_, _, report) in built.items():
        assert report["sanity"]["perplexity"] == pytest.approx(report["steps"][0]["build"]["perplexity_after"], rel=1e-5), name


def test_w8a8_quantizes_activations_in_the_forward_pass_that_scores_it(built):
    _, model, _ = built["smoothquant"]
    ids = torch.tensor([[1, 5, 9, 13, 20, 40, 80]])
    schemes = [m.quantization_scheme for m in model.modules() if getattr(m, "quantization_scheme", None) is not None]
    with torch.no_grad():
        quantized = model(ids).logits
        saved = [s.input_activations for s in schemes]
        for s in schemes:
            s.input_activations = None
        weights_only = model(ids).logits
        for s, a in zip(schemes, saved):
            s.input_activations = a
    assert (quantized - weights_only).abs().max() > 1e-4


def test_a_second_load_reuses_the_cached_checkpoint(built, tiny_checkpoint, monkeypatch):
    first = built["gptq"][0]
    cache = first.source.path.parent.parent.parent
    monkeypatch.setattr(llm_compressor_build, "_run", _only_versions(llm_compressor_build._run))
    again = load(plan_for(tiny_checkpoint, step(TABLES["gptq"])), cache_root=cache)
    assert again.source.path == first.source.path and again.identity == first.identity


def _only_versions(run):
    def guarded(command):
        assert command[-1] == "--versions", "the checkpoint was built again"
        return run(command)

    return guarded


def test_a_different_recipe_or_calibration_is_another_build(built):
    paths = {built[name][0].source.path for name in TABLES}
    assert len(paths) == len(TABLES)
    identities = {built[name][0].identity for name in TABLES}
    assert len(identities) == len(TABLES)


def test_a_checkpoint_that_is_not_what_the_spec_asked_for_is_refused(built):
    _, model, _ = built["gptq"]
    with pytest.raises(CompressionNotApplied, match="weights.num_bits = 4, not 3"):
        step(TABLES["gptq-w3"]).describe(model)
    _, model, _ = built["sparsegpt-50"]
    with pytest.raises(CompressionNotApplied, match="sparsegpt .*2:4"):
        step(TABLES["sparsegpt-2of4"]).describe(model)


def test_a_failed_build_says_why_and_leaves_nothing_in_the_cache(tiny_checkpoint, tmp_path):
    # a group of 48 does not divide the tiny model's 64-wide layers
    broken = step({**TABLES["gptq"], "group_size": 48})
    with pytest.raises(LlmCompressorFailed, match="did not build a checkpoint") as failure:
        load(plan_for(tiny_checkpoint, broken), cache_root=tmp_path)
    assert "Error" in str(failure.value)
    assert not [p for p in (tmp_path / "models" / "llm-compressor").iterdir() if p.is_dir()]


def spec_text(tiny_checkpoint, variant_table: str) -> str:
    return textwrap.dedent(
        f"""
        name = "llmc"
        [baseline]
        model = "{tiny_checkpoint}"
        [[variants]]
        name = "gptq-w4"
        quantization = {variant_table}
        [[checks]]
        metric = "crows_pairs.stereotype_score"
        max_examples = 2
        tolerance = 0.5
        """
    )


def test_without_llm_compressors_environment_the_run_cannot_measure(tiny_checkpoint, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(llm_compressor_build.PYTHON_ENV, str(tmp_path / "nowhere" / "python"))
    spec = tmp_path / "s.toml"
    spec.write_text(spec_text(tiny_checkpoint, '{ method = "gptq", bits = 4, group_size = 32 }'))
    code = main(["run", str(spec), "--reports", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")])
    assert code == ExitCode.NOT_MEASURED
    err = capsys.readouterr().err
    assert "variant 'gptq-w4'" in err and "make llm-compressor" in err and llm_compressor_build.PYTHON_ENV in err


def test_a_gptq_variant_runs_through_the_gate(tiny_checkpoint, tmp_path):
    from engine.run import GateRun
    from engine.spec.loader import load_spec
    from engine.store import ResultStore

    spec = tmp_path / "s.toml"
    spec.write_text(
        spec_text(
            tiny_checkpoint,
            '{ method = "gptq", bits = 4, group_size = 32, calibration = { samples = 8, tokens = 32 } }',
        )
    )
    outcome = GateRun(load_spec(spec), ResultStore(tmp_path / "store")).evaluate_variant("gptq-w4")
    compression_report = outcome.variant.model["compression"]
    assert compression_report["steps"][0]["weights"]["num_bits"] == 4
    assert compression_report["checkpoint_quantization"]["quant_method"] == "compressed-tensors"
    assert all(math.isfinite(v.value) for v in outcome.verdicts)


def test_bits_per_weight_of_the_new_methods():
    assert compression.bits_per_weight(TABLES["gptq-w3"]) == 3
    assert compression.bits_per_weight({"method": "gptq"}) == 4
    assert compression.bits_per_weight({"method": "awq", "bits": 8}) == 8
    assert compression.bits_per_weight({"method": "smoothquant"}) == 8
    assert compression.bits_per_weight({"method": "sparsegpt", "sparsity": 0.5}) is None


def test_llm_compressors_environment_reports_its_versions():
    versions = llm_compressor_build.versions(llm_compressor_build.interpreter())
    assert set(versions) == {"llmcompressor", "compressed-tensors", "transformers", "torch"}
    assert versions["llmcompressor"] == "0.14.0.1"


def test_an_interpreter_that_is_not_llm_compressors_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho not json\n")
    fake.chmod(0o755)
    monkeypatch.setenv(llm_compressor_build.PYTHON_ENV, str(fake))
    with pytest.raises(EnvironmentUnavailable, match="not json"):
        llm_compressor_build.versions(llm_compressor_build.interpreter())
