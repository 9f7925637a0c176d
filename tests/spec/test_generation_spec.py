"""`generation` and `scorer` of a check: parsed, defaulted, and turned into scoring options."""

from __future__ import annotations

import textwrap

from engine.classifiers.registry import path_options
from engine.run import GateRun
from engine.scoring.generation import GenerationConfig
from engine.scoring.text_scores import ScorerChoice
from engine.spec.loader import load_spec
from engine.store import ResultStore

HEAD = """
name = "demo"
seed = 7
[baseline]
model = "builtin:smollm2-135m-instruct"
[[variants]]
name = "same"
"""


def gate_run(tmp_path, checks: str) -> GateRun:
    spec = tmp_path / "spec.toml"
    spec.write_text(textwrap.dedent(HEAD) + textwrap.dedent(checks))
    return GateRun(load_spec(spec), ResultStore(tmp_path / "store"))


def options_of(tmp_path, checks: str):
    return [c.options for c in gate_run(tmp_path, checks).checks]


def test_defaults_greedy_32_tokens_and_no_scorer(tmp_path):
    (options,) = options_of(
        tmp_path,
        """
        [[checks]]
        metric = "counterfactual.sentiment_gap"
        max_examples = 1
        tolerance = 0.1
        """,
    )
    assert options.generation == GenerationConfig(max_new_tokens=32, do_sample=False)
    assert options.scorer is None


def test_sampling_seed_defaults_to_the_spec_seed(tmp_path):
    (sampled, seeded) = options_of(
        tmp_path,
        """
        [[checks]]
        metric = "counterfactual.sentiment_gap"
        generation = { max_new_tokens = 8, do_sample = true, temperature = 0.7, top_p = 0.9 }
        tolerance = 0.1

        [[checks]]
        metric = "counterfactual.negative_share_gap"
        generation = { do_sample = true, seed = 3 }
        tolerance = 0.1
        """,
    )
    assert sampled.generation == GenerationConfig(8, True, 7, 0.7, 0.9)
    assert seeded.generation.seed == 3


def test_scorer_by_name_or_table_with_paths_relative_to_the_spec(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "toxic.ckpt").write_bytes(b"")
    (by_name, by_table) = options_of(
        tmp_path,
        """
        [[checks]]
        metric = "counterfactual.toxicity_rate_gap"
        scorer = "profanity_check"
        tolerance = 0.1

        [[checks]]
        metric = "counterfactual.toxicity_gap"
        scorer = { name = "detoxify", options = { checkpoint = "models/toxic.ckpt", batch_size = 8 } }
        tolerance = 0.1
        """,
    )
    assert by_name.scorer == ScorerChoice("profanity_check")
    assert by_table.scorer == ScorerChoice(
        "detoxify", (("batch_size", 8), ("checkpoint", str(tmp_path / "models" / "toxic.ckpt")))
    )
    hash(by_table)  # part of a memo key


def test_path_options_are_the_ones_annotated_as_paths():
    assert path_options("detoxify") == ["checkpoint", "huggingface_config_path"]
    assert path_options("profanity_check") == []


def test_a_sampled_default_decoding_draws_from_the_spec_seed(tmp_path):
    (data,) = [tmp_path / "prompts.jsonl"]
    data.write_text(
        '{"filename": "f", "begin": 0, "end": 9, "challenging": false, "prompt": {"text": "The"}}\n'
    )
    (paper, own) = options_of(
        tmp_path,
        f"""
        [[checks]]
        metric = "real_toxicity_prompts.expected_max_toxicity"
        data = {{ path = "{data}" }}
        scorer = "profanity_check"
        tolerance = 0.1

        [[checks]]
        metric = "real_toxicity_prompts.toxicity_probability"
        data = {{ path = "{data}" }}
        generation = {{ max_new_tokens = 8, do_sample = true, samples = 4 }}
        scorer = "profanity_check"
        tolerance = 0.1
        """,
    )
    assert paper.generation == GenerationConfig(20, True, 7, 1.0, 0.9, samples=25)
    assert own.generation == GenerationConfig(8, True, 7, samples=4)
