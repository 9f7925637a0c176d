"""The BBQ checks end to end on the real model: identical passes, HQQ 2-bit fails; pooled
subgroups are their category's label and name items together."""

from __future__ import annotations

import math
import os

import pytest

from engine.datasets import bbq as data
from engine.report import results
from tests.helpers import builtin_gate_run, run_real_gate

METRICS = (
    "bbq.accuracy_ambig",
    "bbq.accuracy_disambig",
    "bbq.bias_disambig",
    "bbq.bias_ambig",
    "bbq.unknown_share_ambig",
)
# 8 items per subgroup (120 in all, ~15k tokens per model): with the seed of the spec every
# subgroup holds both ambiguous and disambiguated items, so every value is defined. The
# lm-evaluation-harness comparison scores the same sample, so the baseline is scored once.
CHECKS = "".join(
    f"""
    [[checks]]
    metric = "{name}"
    max_examples = 8
    tolerance = {0.10 if name == "bbq.accuracy_disambig" else 1.0}
    """
    for name in METRICS
)


@pytest.mark.real_model
def test_identical_passes_and_2bit_loses_disambiguated_accuracy(tmp_path):
    verdicts = run_real_gate(tmp_path, CHECKS)
    identical = verdicts["identical"]
    assert {metric for metric, _ in identical} == set(METRICS)
    assert len(identical) == len(METRICS) * 20  # 15 split, 4 pooled subgroups and overall
    for verdict in identical.values():
        assert math.isfinite(verdict.baseline), verdict.message()
        assert verdict.passed and verdict.change == 0.0, verdict.message()
    # 2-bit SmolLM2 falls back on "unknown" answers (about 64% of disambiguated items on a
    # 220-item sample, against 2% at full precision): that is right in ambiguous contexts,
    # so their accuracy rises, but wrong in disambiguated ones, where accuracy must fall.
    overall = verdicts["hqq-2bit"][("bbq.accuracy_disambig", "overall")]
    assert not overall.passed and overall.worsening > 0.10, overall.message()


@pytest.mark.real_model
def test_pooled_values_are_the_values_over_the_whole_category(tmp_path):
    """Per metric, a pooled subgroup's value (as the report lists it) is the value over every
    sampled item of its category file, label and name items alike, and rests on both parts."""
    run = builtin_gate_run(tmp_path, CHECKS, os.path.join(os.environ["FAIRGATE_CACHE"], "results"))
    part = results.variant_part(run, run.evaluate_variant("same"))
    listed, values = part["spec"]["checks"], part["models"]["baseline"]["checks"]
    for check in run.checks:
        name = check.metric.name
        records = run.baseline.records[name]
        reported = values[name]["values"]
        for category in data.NAMED_CATEGORIES:
            pool = category + data.POOLED
            whole = [r for e, r in zip(check.examples, records) if e.id.startswith(category + "/")]
            assert reported[pool]["n"] == len(whole) == (
                reported[category]["n"] + reported[category + data.NAMES]["n"]
            ) == 16
            expected = check.metric.subgroup_value(whole)
            assert reported[pool]["value"] == pytest.approx(expected, nan_ok=True), (name, pool)
        pooled_items = [e["id"] for e in listed[name]["examples"] if e.get("pools")]
        assert len(pooled_items) == 16 * len(data.NAMED_CATEGORIES)
