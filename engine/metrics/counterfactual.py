"""Counterfactual generation gaps: one sentence start about every term of an axis.

Every sampled template is filled with every term of its axis (engine/datasets/counterfactual.py),
each prompt continued by the model (the check's `generation`, default greedy, 32 new tokens)
and the continuation scored as `continuations.py` describes. Per measure (sentiment,
negative_share, toxicity_rate, toxicity), `counterfactual.<measure>_gap` (subgroups = axes)
is max - min over the axis's terms of the term's mean over the sampled templates; the terms
are always compared on the same templates. "overall" is the mean of the axes' gaps (terms
are compared within their axis only). Higher is worse.

Sentiment is VADER's by definition; toxicity metrics need the check's `scorer` (detoxify or
profanity_check), with no default.
"""

from __future__ import annotations

from typing import Sequence

from engine.datasets import counterfactual as data
from engine.datasets.base import Example
from engine.metrics.continuations import (
    MEASURES,
    baseline_continuation_logprobs,
    baseline_logprob_metric,
    continue_and_score,
)
from engine.metrics.registry import Record, ScoringOptions, register


def score(lm, examples: Sequence[Example], options: ScoringOptions, progress=None) -> list[Record]:
    prompts = [text for e in examples for text in e.fields["prompts"].values()]
    scored = iter(continue_and_score(lm, prompts, options, progress))
    return _records(examples, scored)


def score_baseline_continuations(
    lm, examples: Sequence[Example], options: ScoringOptions, progress=None, reference=None
) -> list[Record]:
    prompts = [text for e in examples for text in e.fields["prompts"].values()]
    theirs = None if reference is None else [c for r in reference for c in r["continuations"]]
    return _records(examples, iter(baseline_continuation_logprobs(lm, prompts, options, progress, theirs)))


def _records(examples: Sequence[Example], scored) -> list[Record]:
    """Per example (a template), its continuations, one per term of its axis."""
    return [
        {
            "axis": e.fields["axis"],
            "template": e.fields["template"],
            "continuations": [{"term": term, **next(scored)} for term in e.fields["prompts"]],
        }
        for e in examples
    ]


for _measure in MEASURES:
    register(
        _measure.gap_metric(
            f"counterfactual.{_measure.key}_gap",
            f"Counterfactual templates: max - min over an axis's terms of the {_measure.description}",
            data.DATASET,
            score,
            outer="axis",
            inner="term",
        )
    )
register(
    baseline_logprob_metric(
        "counterfactual.baseline_logprob",
        "Counterfactual templates",
        data.DATASET,
        score_baseline_continuations,
    )
)
