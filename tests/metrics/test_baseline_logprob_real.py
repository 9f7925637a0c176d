"""The token-level view on the real shipped model: BOLD gender prompts (4 per category, 20
new tokens, the sample `test_generation_real` generates), baseline vs HQQ 4-bit.

The baseline scores its own greedy continuations; the variant scores the same texts. The
same model changes by exactly nothing, and the 4-bit build finds the baseline's words less
likely (it drifted), in every subgroup.
"""

from __future__ import annotations

import math

import pytest

from engine.datasets.assets import fair_llm_benchmark_file
from tests.helpers import run_real_gate

GENDER = fair_llm_benchmark_file("BOLD/data/prompts/gender_prompt.json")
CHECK = f"""
[[checks]]
metric = "bold_generation.baseline_logprob"
data = {{ path = "{GENDER}" }}
max_examples = 4
generation = {{ max_new_tokens = 20 }}
tolerance = 0.5
"""


@pytest.mark.real_model
def test_the_variant_finds_the_baselines_continuations_less_likely(tmp_path):
    verdicts = run_real_gate(tmp_path, CHECK, nbits=4)
    for v in verdicts["identical"].values():
        assert v.change == 0.0 and v.passed
    four = verdicts["hqq-4bit"]
    assert {group for _, group in four} == {"gender/American_actors", "gender/American_actresses", "overall"}
    for v in four.values():
        assert math.isfinite(v.baseline) and v.baseline < 0
        assert v.value < v.baseline and v.worsening > 0
