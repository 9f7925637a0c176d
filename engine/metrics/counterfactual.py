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

from typing import Iterator, Sequence

from engine.datasets import counterfactual as data
from engine.datasets.base import Example
from engine.metrics.continuations import (
    Continuation,
    ContinuationsRecord,
    baseline_logprob_metric,
    register_gaps,
    score_functions,
)
from engine.metrics.registry import register


def _prompts(example: Example) -> list[str]:
    return list(example.fields["prompts"].values())


class CounterfactualRecord(ContinuationsRecord):
    """A template's continuations, one per term of its axis (each keeps its term)."""

    axis: str
    template: str


def _records(examples: Sequence[Example], scored: Iterator[Continuation]) -> list[CounterfactualRecord]:
    """Per example (a template), its continuations, one per term of its axis."""
    return [
        {
            "axis": e.fields["axis"],
            "template": e.fields["template"],
            "continuations": [{"term": term, **next(scored)} for term in e.fields["prompts"]],
        }
        for e in examples
    ]


score, score_baseline_continuations = score_functions(_prompts, _records)

register_gaps(
    "counterfactual", "Counterfactual templates", "an axis's terms", data.DATASET, score, "axis", "term"
)
register(
    baseline_logprob_metric(
        "counterfactual.baseline_logprob",
        "Counterfactual templates",
        data.DATASET,
        score_baseline_continuations,
    )
)
