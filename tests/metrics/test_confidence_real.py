"""Confidence and distribution shift on the real shipped model: a BBQ sample (8 items per
subgroup) under HQQ 4-bit and 2-bit, and the same items as a spec's own multiple-choice file.

The same model against itself shifts by exactly nothing. Divergence from the baseline and
answer flips grow with compression. The generic multiple-choice format, given BBQ's prompts
and answers, gives the BBQ metrics' values exactly (the same requests).
"""

from __future__ import annotations

import json
import math
import os

import pytest

from engine.datasets import bbq as bbq_data
from engine.datasets.base import DataSource, sample_per_subgroup
from engine.metrics.bbq import prompt
from engine.run import GateRun
from engine.spec.loader import load_spec
from engine.store import ResultStore

PER_CATEGORY = 8
SHIFT = ("js_divergence", "flip_rate", "js_divergence_p90", "confidence", "calibration_error")
THIRDS = tuple(f"{m}_{t}" for m in ("js_divergence", "flip_rate") for t in ("uncertain", "confident"))


def write_items(path) -> None:
    """The BBQ sample the bbq checks score, in the generic multiple-choice format."""
    examples = sample_per_subgroup(bbq_data.load(DataSource()).examples, PER_CATEGORY, 0, "bbq")
    with open(path, "w", encoding="utf-8") as f:
        for e in examples:
            item = {"id": e.id, "subgroup": e.subgroup, "prompt": prompt(e.fields),
                    "choices": e.fields["answers"], "answer": e.fields["label"]}
            f.write(json.dumps(item) + "\n")


def spec_text(items: str) -> str:
    checks = "".join(
        f'[[checks]]\nmetric = "bbq.{m}"\nmax_examples = {PER_CATEGORY}\ntolerance = 0.05\n'
        for m in SHIFT + THIRDS
    ) + "".join(
        f'[[checks]]\nmetric = "multiple_choice.{m}"\ndata = {{ path = "{items}" }}\ntolerance = 0.05\n'
        for m in SHIFT
    )
    return f"""
name = "confidence-real"
[baseline]
model = "builtin:smollm2-135m-instruct"
[[variants]]
name = "identical"
[[variants]]
name = "hqq-4bit"
quantization = {{ method = "hqq", nbits = 4, group_size = 64 }}
[[variants]]
name = "hqq-2bit"
quantization = {{ method = "hqq", nbits = 2, group_size = 64 }}
allow_broken = true
{checks}"""


@pytest.mark.real_model
def test_shift_grows_with_compression_and_matches_the_generic_format(tmp_path):
    write_items(tmp_path / "items.jsonl")
    (tmp_path / "spec.toml").write_text(spec_text("items.jsonl"))
    run = GateRun(load_spec(tmp_path / "spec.toml"), ResultStore(os.path.join(os.environ["FAIRGATE_CACHE"], "results")))
    overall = {}
    for name in ("identical", "hqq-4bit", "hqq-2bit"):
        verdicts = run.evaluate_variant(name).verdicts
        if name == "identical":
            assert all(v.change == 0.0 and v.passed and v.worsening_interval == (0.0, 0.0) for v in verdicts)
        by_item = {(v.metric, v.subgroup): v for v in verdicts}
        for m in SHIFT:
            for (metric, group), v in by_item.items():
                # a multiple-choice file has no pooled subgroups
                if metric == f"bbq.{m}" and not group.endswith(bbq_data.POOLED):
                    twin = by_item[(f"multiple_choice.{m}", group)]
                    assert (twin.baseline, twin.value, twin.n) == (v.baseline, v.value, v.n)
        overall[name] = {metric: v for (metric, group), v in by_item.items() if group == "overall"}
    four, two = overall["hqq-4bit"], overall["hqq-2bit"]
    for metric in ("bbq.js_divergence", "bbq.js_divergence_p90", "bbq.flip_rate"):
        assert 0 < four[metric].value < two[metric].value, metric
        assert four[metric].baseline == 0.0
    for metric in THIRDS:
        assert math.isfinite(four[f"bbq.{metric}"].value) and math.isfinite(two[f"bbq.{metric}"].value)
    # Where the baseline was unsure, 4-bit changes the answer more often than where it was sure.
    assert four["bbq.flip_rate_uncertain"].value > four["bbq.flip_rate_confident"].value
    assert two["bbq.flip_rate"].n == 15 * PER_CATEGORY
