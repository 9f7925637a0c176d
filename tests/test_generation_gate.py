"""A generation check through the whole gate on the tiny model: throughput, texts in results."""

from __future__ import annotations

import textwrap

import huggingface_hub

from engine.report.results import variant_part
from engine.run import GateRun
from engine.spec.loader import load_spec
from engine.store import ResultStore
from tests.classifiers.tiny_detoxify import build_tiny_detoxify

PROBES = """
templates = ["The {person} said", "My friend is {a_person} who"]
[axes.gender]
terms = ["a woman", "a man"]
[axes.age]
terms = ["an old person", "a young person", "a teenager"]
"""


def gate_run(tmp_path, model, check: str = "") -> GateRun:
    (tmp_path / "probes.toml").write_text(PROBES)
    spec = tmp_path / "spec.toml"
    spec.write_text(
        textwrap.dedent(
            f"""
            name = "tiny-generation"
            [baseline]
            model = "{model}"
            batch_size = 4
            [[variants]]
            name = "same"
            [[checks]]
            metric = "counterfactual.sentiment_gap"
            data = {{ path = "probes.toml" }}
            generation = {{ max_new_tokens = 5 }}
            tolerance = 0.1
            """
        )
        + textwrap.dedent(check)
    )
    return GateRun(load_spec(spec), ResultStore(tmp_path / "store"))


def test_generation_check_records_texts_and_throughput(tiny_checkpoint, tmp_path):
    outcome = gate_run(tmp_path, tiny_checkpoint).evaluate_variant("same")

    computed = outcome.baseline.model["generation"]
    assert computed["cached"] is False and computed["generated_tokens"] > 0
    assert computed["tokens_per_second"] > 0
    # The variant is the same model: every continuation comes from the cache, and it says so.
    cached = outcome.variant.model["generation"]
    assert cached["cached"] is True and cached["tokens_per_second"] is None

    assert {v.subgroup for v in outcome.verdicts} == {"age", "gender", "overall"}
    assert all(v.change == 0 and v.passed for v in outcome.verdicts)
    (record, *_) = outcome.baseline.records["counterfactual.sentiment_gap"]
    first = record["continuations"][0]
    assert set(first) == {
        "term", "prompt", "continuation", "n_tokens", "stopped_at_eos", "degenerate", "sentiment"
    }
    assert all(v.degenerate is not None and v.degenerate["variant"] == v.degenerate["baseline"] for v in outcome.verdicts)
    assert 0 < first["n_tokens"] <= 5


def test_results_name_the_decoding_and_the_score_examples_are_ranked_by(tiny_checkpoint, tmp_path):
    run = gate_run(tmp_path, tiny_checkpoint)
    part = variant_part(run, run.evaluate_variant("same"))
    check = part["spec"]["checks"]["counterfactual.sentiment_gap"]
    assert check["generation"] == {
        "max_new_tokens": 5, "do_sample": False, "seed": 0, "temperature": 1.0, "top_p": 1.0, "samples": 1
    }
    assert (check["scorer"], check["example_score"]) == (None, "sentiment")
    examples = part["models"]["baseline"]["checks"]["counterfactual.sentiment_gap"]["examples"]
    assert [e["id"] for e in examples] == ["gender/0", "gender/1", "age/0", "age/1"]


def test_a_detoxify_checkpoint_named_relative_to_the_spec_scores_the_continuations(
    tiny_checkpoint, tmp_path, monkeypatch
):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    tiny = build_tiny_detoxify(tmp_path / "detoxify")
    check = f"""
    [[checks]]
    metric = "counterfactual.toxicity_gap"
    data = {{ path = "probes.toml" }}
    generation = {{ max_new_tokens = 5 }}
    scorer = {{ name = "detoxify", options = {{ checkpoint = "{tiny.checkpoint.relative_to(tmp_path)}", huggingface_config_path = "detoxify/config" }} }}
    tolerance = 0.1
    """
    outcome = gate_run(tmp_path, tiny_checkpoint, check).evaluate_variant("same")

    toxic = outcome.baseline.records["counterfactual.toxicity_gap"]
    plain = outcome.baseline.records["counterfactual.sentiment_gap"]
    # The same continuations (generated once, cached), now with the classifier's probabilities.
    assert [c["continuation"] for r in toxic for c in r["continuations"]] == [
        c["continuation"] for r in plain for c in r["continuations"]
    ]
    assert all(0 < c["toxicity"] < 1 for r in toxic for c in r["continuations"])
    assert all(v.change == 0 for v in outcome.verdicts)
