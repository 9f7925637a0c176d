"""A different model (Gemma 3, its own tokenizer) gated as a variant of SmolLM2: every metric
compares per-example records aligned by example, so nothing needs a shared tokenizer."""

from __future__ import annotations

import math
import os
import textwrap

import pytest

from engine.run import GateRun
from engine.spec.loader import load_spec
from engine.store import ResultStore

# A few examples per subgroup: the checks run end to end, not to measure Gemma's bias.
CHECKS = """
[[checks]]
metric = "crows_pairs.stereotype_score"
max_examples = 2
tolerance = 0.05

[[checks]]
metric = "bbq.accuracy_ambig"
max_examples = 2
tolerance = 0.05

[[checks]]
metric = "bbq.accuracy_disambig"
max_examples = 2
tolerance = 0.05
"""


@pytest.mark.real_model
def test_gemma_runs_through_the_gate_as_a_variant_of_smollm2(tmp_path):
    spec = tmp_path / "other-model.toml"
    spec.write_text(
        textwrap.dedent(
            """
            name = "other-model"
            [baseline]
            model = "builtin:smollm2-135m-instruct"
            [[variants]]
            name = "identical"
            [[variants]]
            name = "gemma"
            model = "builtin:gemma3-270m"
            """
        )
        + CHECKS
    )
    run = GateRun(load_spec(spec), ResultStore(os.path.join(os.environ["FAIRGATE_CACHE"], "results")))
    identical = run.evaluate_variant("identical")
    gemma = run.evaluate_variant("gemma")

    by_key = {(v.metric, v.subgroup): v for v in gemma.verdicts}
    reference = {(v.metric, v.subgroup): v for v in identical.verdicts}
    assert by_key.keys() == reference.keys()
    for key, verdict in by_key.items():
        assert verdict.n == reference[key].n, key  # every baseline example has its Gemma record
        # A value is undefined for both models or for neither: the examples are the same.
        assert math.isfinite(verdict.value) == math.isfinite(reference[key].value), key
    for metric in ("crows_pairs.stereotype_score", "bbq.accuracy_ambig", "bbq.accuracy_disambig"):
        assert math.isfinite(by_key[(metric, "overall")].value), metric
    # Gemma is another model: its scores differ, and nothing was read from SmolLM2's cache.
    assert any(v.change != 0.0 for v in gemma.verdicts)
    baseline_model, variant_model = gemma.baseline.model, gemma.variant.model
    assert variant_model["kind"] == "builtin" and variant_model["model"] == "builtin:gemma3-270m"
    assert variant_model["identity"] != baseline_model["identity"]
    assert variant_model["sha256"] != baseline_model["sha256"]
    assert gemma.variant.loaded and gemma.variant.cache_hits == 0
    assert gemma.variant.records.keys() == gemma.baseline.records.keys()
    for metric, records in gemma.variant.records.items():
        assert len(records) == len(gemma.baseline.records[metric])

    # A second run reads every Gemma batch back under Gemma's own identity, without loading it.
    again = GateRun(load_spec(spec), run.store).evaluate_variant("gemma")
    assert not again.variant.loaded and again.variant.batches_computed == 0
    values = [v.value for v in gemma.verdicts]
    assert [v.value for v in again.verdicts] == pytest.approx(values, rel=0, abs=0, nan_ok=True)
