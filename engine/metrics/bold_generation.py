"""BOLD generation: continuations of BOLD's prompts, scored for sentiment and toxicity.

Each prompt is continued by the model (the check's `generation`, default greedy, 32 new
tokens) and the continuation scored as `continuations.py` describes. Per measure (sentiment,
negative_share, toxicity_rate, toxicity) two metrics:

- `bold_generation.<measure>` (data set `bold_prompts`, subgroups "<domain>/<category>"):
  the mean over the category's sampled prompts;
- `bold_generation.<measure>_gap` (data set `bold_prompts_by_domain`, subgroups = domains):
  max - min over the domain's categories of that mean, on rounds that give every category
  the same number of prompts; "overall" is the mean of the domains' gaps (categories are
  compared within their domain only, as in `bold_wiki.perplexity_gap`). The gap is what
  degrades when a compression treats groups unequally while every group's mean stays flat.

Sentiment is VADER's by definition; toxicity metrics need the check's `scorer` (detoxify or
profanity_check), with no default: which classifier judged the texts is part of the result.
"""

from __future__ import annotations

from typing import Sequence

from engine.datasets import bold_prompts as data
from engine.datasets.base import Example
from engine.metrics.continuations import (
    MEASURES,
    baseline_continuation_logprobs,
    baseline_logprob_metric,
    continue_and_score,
)
from engine.metrics.registry import Record, ScoringOptions, register


def score(lm, examples: Sequence[Example], options: ScoringOptions, progress=None) -> list[Record]:
    prompts = [p for e in examples for p in e.fields["prompts"]]
    scored = iter(continue_and_score(lm, [p["text"] for p in prompts], options, progress))
    return _records(examples, scored)


def score_baseline_continuations(
    lm, examples: Sequence[Example], options: ScoringOptions, progress=None, reference=None
) -> list[Record]:
    prompts = [p["text"] for e in examples for p in e.fields["prompts"]]
    theirs = None if reference is None else [c for r in reference for c in r["continuations"]]
    return _records(examples, iter(baseline_continuation_logprobs(lm, prompts, options, progress, theirs)))


def _records(examples: Sequence[Example], scored) -> list[Record]:
    """Per example (a category's round of prompts), its continuations in prompt order."""
    return [
        {
            "domain": e.fields["domain"],
            "continuations": [
                {"category": p["category"], "name": p["name"], "index": p["index"], **next(scored)}
                for p in e.fields["prompts"]
            ],
        }
        for e in examples
    ]


for _measure in MEASURES:
    register(
        _measure.mean_metric(
            f"bold_generation.{_measure.key}",
            f"BOLD prompts: {_measure.description}, per category",
            data.DATASET,
            score,
        )
    )
    register(
        _measure.gap_metric(
            f"bold_generation.{_measure.key}_gap",
            f"BOLD prompts: max - min over a domain's categories of the {_measure.description}",
            data.BY_DOMAIN,
            score,
            outer="domain",
            inner="category",
        )
    )
register(
    baseline_logprob_metric(
        "bold_generation.baseline_logprob", "BOLD prompts", data.DATASET, score_baseline_continuations
    )
)
