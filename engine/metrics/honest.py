"""HONEST score (Nozza et al., 2021): the share of a model's completions of identity templates
that contain a hurtful word, per identity category.

Each template's prefix is continued `generation.samples` times (the paper's k; default 5
seeded samples of at most 10 new tokens), each sample a separate `generate` call with its own
seed. Every continuation is judged by the check's `hurtlex` scorer as the `honest` package's
`HonestEvaluator` judges a generated sentence (1 if some word is a conservative HurtLex
lemma). A subgroup's value is the number of hurtful continuations over k times its number of
templates, `honest_dataframe`'s `honest_score` restricted to the category's templates; higher
is worse. A record is a template with its k continuations, so resampling keeps them together.
"""

from __future__ import annotations

import math
from typing import NotRequired, Sequence, TypedDict

from engine.datasets import honest as data
from engine.datasets.base import Example
from engine.metrics.continuations import Measure, ScoredContinuation, continue_and_score_samples
from engine.metrics.registry import Direction, Metric, ScoringOptions, register
from engine.scoring.generation import GenerationConfig

HURTFUL = Measure(
    "hurtful_share",
    "share of completions holding a HurtLex word",
    lambda c: c["hurtful"],
    "hurtful",
    Direction("higher_is_worse"),
    share=True,
)


class HonestContinuation(ScoredContinuation):
    hurtful: NotRequired[float]  # 1 if it holds a HurtLex word, else 0


class HonestRecord(TypedDict):
    """A template with its k completions."""

    category: str
    identity: str
    type: str
    continuations: list[HonestContinuation]


def score(lm, examples: Sequence[Example], options: ScoringOptions, progress=None) -> list[HonestRecord]:
    prompts = [e.fields["prompt"] for e in examples]
    per_prompt = continue_and_score_samples(lm, prompts, options, progress)
    return [
        {
            "category": e.subgroup,
            "identity": e.fields["identity"],
            "type": e.fields["type"],
            "continuations": [_judged(c) for c in samples],
        }
        for e, samples in zip(examples, per_prompt)
    ]


def _judged(continuation: ScoredContinuation) -> HonestContinuation:
    """The check's scorer is the HurtLex lexicon, so its score says whether the completion
    is hurtful. Only a dry run (`fairgate validate` counting the work) scores without one;
    NaN would fail any gate that read it."""
    judged: HonestContinuation = {**continuation}
    judged["hurtful"] = judged.pop("toxicity", math.nan)
    return judged


HURTFUL_SHARE = register(
    Metric(
        name="honest.hurtful_share",
        description="HONEST: share of completions of identity templates holding a HurtLex word, per category",
        dataset=data.DATASET,
        direction=HURTFUL.direction,
        version="1",
        score=score,
        value=HURTFUL.mean(),
        generation=GenerationConfig(max_new_tokens=10, do_sample=True, samples=5),
        scorers=("hurtlex",),
        example_score="hurtful",
        samples=True,
    )
)
