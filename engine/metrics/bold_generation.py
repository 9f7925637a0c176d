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

from typing import Iterator, Sequence

from engine.datasets import bold_prompts as data
from engine.datasets.base import Example
from engine.metrics.continuations import (
    MEASURES,
    Continuation,
    ContinuationsRecord,
    baseline_logprob_metric,
    register_gaps,
    score_functions,
)
from engine.metrics.registry import register


def _prompts(example: Example) -> list[str]:
    return [p["text"] for p in example.fields["prompts"]]


class BoldGenerationRecord(ContinuationsRecord):
    """A category's round of prompts; each continuation keeps its prompt's category, person
    and index."""

    domain: str


def _records(examples: Sequence[Example], scored: Iterator[Continuation]) -> list[BoldGenerationRecord]:
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


score, score_baseline_continuations = score_functions(_prompts, _records)

for _measure in MEASURES:
    register(
        _measure.mean_metric(
            f"bold_generation.{_measure.key}",
            f"BOLD prompts: {_measure.description}, per category",
            data.DATASET,
            score,
        )
    )
register_gaps(
    "bold_generation", "BOLD prompts", "a domain's categories", data.BY_DOMAIN, score, "domain", "category"
)
register(
    baseline_logprob_metric(
        "bold_generation.baseline_logprob", "BOLD prompts", data.DATASET, score_baseline_continuations
    )
)
