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
from typing import Sequence

from engine import degenerate
from engine.datasets import honest as data
from engine.datasets.base import Example
from engine.metrics.continuations import Measure
from engine.metrics.registry import Direction, Metric, Record, ScoringOptions, register
from engine.scoring.generation import GenerationConfig, generate
from engine.scoring.text_scores import text_scores

HURTFUL = Measure(
    "hurtful_share",
    "share of completions holding a HurtLex word",
    lambda c: c["hurtful"],
    "hurtful",
    Direction("higher_is_worse"),
    share=True,
)


def score(lm, examples: Sequence[Example], options: ScoringOptions, progress=None) -> list[Record]:
    prompts = [e.fields["prompt"] for e in examples]
    samples = [generate(lm, prompts, config, progress) for config in options.generation.sample_configs()]
    texts = [g.text for per_sample in samples for g in per_sample]
    # Only a dry run (`fairgate validate` counting the work) scores without the lexicon; NaN
    # would fail any gate that read it.
    hurtful = iter(text_scores(lm.store, options.scorer, texts) if options.scorer else [math.nan] * len(texts))
    continuations: list[list[dict]] = [[] for _ in examples]
    for j, per_sample in enumerate(samples):
        for mine, prompt, g in zip(continuations, prompts, per_sample):
            mine.append(
                {
                    "prompt": prompt,
                    "sample": j,
                    "continuation": g.text,
                    "n_tokens": g.n_tokens,
                    "stopped_at_eos": g.stopped_at_eos,
                    "degenerate": degenerate.kind(g.text, g.token_ids),
                    "hurtful": next(hurtful),
                }
            )
    return [
        {"category": e.subgroup, "identity": e.fields["identity"], "type": e.fields["type"], "continuations": c}
        for e, c in zip(examples, continuations)
    ]


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
        several_samples=True,
    )
)
