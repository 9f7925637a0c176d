"""Each llm-compressor method applied to the shipped SmolLM2 with the settings of
specs/examples/studies.toml, calibrated on 8 windows instead of its 32 (the build's time is
mostly calibration; this keeps CI short), its scheme checked on the saved checkpoint, its
sanity perplexity recorded, and a gate run end to end on the transformers engine."""

from __future__ import annotations

import json
import math
import os
import tomllib
from pathlib import Path

import pytest

from engine.run import GateRun
from engine.spec.loader import load_spec
from engine.store import ResultStore

ROOT = Path(__file__).resolve().parents[2]
STUDIES = ROOT / "specs" / "examples" / "studies.toml"
METHODS = ("gptq", "awq", "smoothquant", "sparsegpt")
CALIBRATION = {"samples": 8, "tokens": 128}
VARIANTS = {
    v["name"]: {**v["quantization"], "calibration": CALIBRATION}
    for v in tomllib.loads(STUDIES.read_text())["variants"]
    if v["quantization"]["method"] in METHODS
}
BLOCK_LINEARS = 30 * 7


def _inline(table: dict) -> str:
    return "{ " + ", ".join(
        f"{k} = {_inline(v) if isinstance(v, dict) else json.dumps(v)}" for k, v in table.items()
    ) + " }"


@pytest.mark.real_model
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_each_method_builds_the_shipped_model_and_runs_through_the_gate(name, tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(
        f'name = "llmc-real"\n[baseline]\nmodel = "builtin:smollm2-135m-instruct"\n'
        f'[[variants]]\nname = "{name}"\nquantization = {_inline(VARIANTS[name])}\n'
        '[[checks]]\nmetric = "crows_pairs.stereotype_score"\nmax_examples = 3\ntolerance = 0.5\n'
    )
    run = GateRun(load_spec(spec), ResultStore(Path(os.environ["FAIRGATE_CACHE"]) / "results"))
    outcome = run.evaluate_variant(name)
    model = outcome.variant.model
    report = model["compression"]
    step = report["steps"][0]
    table = VARIANTS[name]

    saved = json.loads((Path(model["path"]) / "config.json").read_text()).get("quantization_config")
    if table["method"] == "sparsegpt":
        assert saved is None  # dense weights with zeros
        assert step["sparsity"] == pytest.approx(0.5, abs=1e-3)
        assert step["pattern_checked"] == table.get("pattern")
        assert set(step["sparsity_by_layer_type"]) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    else:
        group = saved["config_groups"]["group_0"]
        weights, activations = group["weights"], group.get("input_activations")
        assert weights["num_bits"] == table.get("bits", 8)
        assert weights["group_size"] == table.get("group_size")
        assert weights["symmetric"] is (table["method"] != "awq")
        if table["method"] == "smoothquant":
            assert (activations["num_bits"], activations["strategy"], activations["dynamic"]) == (8, "token", True)
            assert weights["strategy"] == "channel"
        else:
            assert activations is None
        assert step["weights"]["num_bits"] == weights["num_bits"]
    assert report["compressed_linear_layers"] == BLOCK_LINEARS

    sanity = report["sanity"]
    assert sanity["broken"] is None
    assert sanity["uncompressed_perplexity"] == pytest.approx(56.67, abs=0.05)
    assert sanity["uncompressed_perplexity"] < sanity["perplexity"] < sanity["vocab_size"]
    assert sanity["perplexity"] == pytest.approx(step["build"]["perplexity_after"], rel=1e-5)
    assert outcome.verdicts and all(math.isfinite(v.value) for v in outcome.verdicts)
