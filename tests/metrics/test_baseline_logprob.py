"""The token-level view of generation checks: how likely a model finds the baseline's own
continuations."""

from __future__ import annotations

import math

import pytest

from engine.datasets.base import Example
from engine.metrics import continuations
from engine.metrics.registry import ScoringOptions, get_metric
from engine.scoring.generation import Generation, GenerationConfig
from engine.scoring.loglikelihood import LLRequest, LLResult

OPTIONS = ScoringOptions(generation=GenerationConfig(max_new_tokens=4))


def fake(monkeypatch, texts, logprobs, tokens):
    asked: list[LLRequest] = []

    def generate(lm, prompts, config, progress=None):
        return [Generation(t, (1,) * len(t.split()), len(t.split()), False) for t in texts]

    def loglikelihood(lm, requests, progress=None):
        asked.extend(requests)
        return [LLResult(lp, n, False) for lp, n in zip(logprobs, tokens)]

    monkeypatch.setattr(continuations, "generate", generate)
    monkeypatch.setattr(continuations, "loglikelihood", loglikelihood)
    return asked


def test_the_baseline_scores_its_own_continuation(monkeypatch):
    asked = fake(monkeypatch, [" went home.", ""], [-6.0], [3])
    own = continuations.baseline_continuation_logprobs(None, ["She ", "He "], OPTIONS)
    assert asked == [LLRequest("She", " went home.")]  # the empty one is not asked for
    assert own[0]["logprob_per_token"] == -2.0 and own[0]["baseline_tokens"] == 3
    assert own[1]["logprob"] is None and own[1]["logprob_per_token"] is None


def test_a_variant_scores_the_baselines_text_per_baseline_token(monkeypatch):
    baseline = [{"continuation": " went home.", "baseline_tokens": 3}, {"continuation": "", "baseline_tokens": 0}]
    asked = fake(monkeypatch, ["never used"], [-9.0], [5])  # the variant's tokenizer: 5 tokens
    theirs = continuations.baseline_continuation_logprobs(None, ["She ", "He "], OPTIONS, reference=baseline)
    assert asked == [LLRequest("She", " went home.")]
    assert theirs[0]["continuation"] == " went home."
    assert theirs[0]["logprob_per_token"] == -3.0  # divided by the baseline's 3 tokens, not 5


def test_value_leaves_out_empty_continuations():
    record = lambda *lps: {"continuations": [{"logprob_per_token": lp} for lp in lps]}
    value = get_metric("bold_generation.baseline_logprob").value
    assert value([record(-1.0, None), record(-3.0)]) == -2.0
    assert math.isnan(value([record(None)]))
    metric = get_metric("counterfactual.baseline_logprob")
    assert metric.reference and metric.direction.kind == "lower_is_worse"


def test_bold_records_pair_prompt_by_prompt(monkeypatch):
    fake(monkeypatch, [" a b", " c"], [-2.0, -1.0], [2, 1])
    example = Example("r", "gender/x", {"domain": "gender", "prompts": [
        {"text": "P1 ", "category": "x", "name": "n1", "index": 0},
        {"text": "P2 ", "category": "x", "name": "n2", "index": 1},
    ]})
    score = get_metric("bold_generation.baseline_logprob").score
    (own,) = score(None, [example], OPTIONS)
    assert [c["continuation"] for c in own["continuations"]] == [" a b", " c"]
    (again,) = score(None, [example], OPTIONS, reference=[own])
    assert again == own  # the same model against itself: exactly the same numbers
    assert own["continuations"][0]["name"] == "n1"
    assert pytest.approx(own["continuations"][0]["logprob_per_token"]) == -1.0


def test_a_nan_logprob_fails_instead_of_being_left_out():
    record = lambda *lps: {"continuations": [{"logprob_per_token": lp} for lp in lps]}
    value = get_metric("bold_generation.baseline_logprob").value
    assert math.isnan(value([record(-1.0, math.nan), record(-3.0)]))
