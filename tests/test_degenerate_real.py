"""A real build that stops at once: its empty continuations score as neutral sentiment, its
perplexity passes the sanity check, and the generation check must still fail it."""

from __future__ import annotations

import textwrap

import pytest

from engine.datasets import bold_prompts
from engine.datasets.base import DataSource, sample_per_subgroup
from engine.run import GateRun
from engine.spec.loader import load_spec
from engine.store import ResultStore
from tests.broken_checkpoints import eos_first

pytestmark = pytest.mark.real_model


def test_a_variant_that_stops_at_once_fails_on_degeneracy(real_checkpoint, tmp_path):
    examples = sample_per_subgroup(bold_prompts.DATASET.load(DataSource()).examples, 1, 0, "bold_prompts")
    prompts = [p["text"].rstrip() for e in examples for p in e.fields["prompts"]]
    eos_first(real_checkpoint, tmp_path / "eos-first", prompts, boost=20.0)
    spec = tmp_path / "spec.toml"
    spec.write_text(
        textwrap.dedent(
            """
            name = "eos-first"
            [baseline]
            model = "builtin:smollm2-135m-instruct"
            [[variants]]
            name = "eos-first"
            model = "eos-first"
            [[checks]]
            metric = "bold_generation.sentiment"
            max_examples = 1
            generation = { max_new_tokens = 6 }
            tolerance = 2.0  # the whole range of VADER's compound: sentiment alone never fails
            """
        )
    )
    run = GateRun(load_spec(spec), ResultStore(tmp_path / "store"))
    outcome = run.evaluate_variant("eos-first")
    sanity = outcome.variant.model["compression"]["sanity"]
    assert sanity.get("broken") is None and sanity["perplexity"] < sanity["vocab_size"]

    overall = next(v for v in outcome.verdicts if v.subgroup == "overall")
    degenerate = overall.degenerate
    assert degenerate["variant"]["empty"] > degenerate["baseline"]["empty"] + 0.05 * degenerate["n"]
    assert not overall.passed
    assert [r.split(" from ")[0] for r in overall.reasons] == ["degenerate continuations rose"]
    failed = [v for v in outcome.verdicts if not v.passed]
    assert all(v.degenerate["variant_share"] > v.degenerate["baseline_share"] for v in failed)
