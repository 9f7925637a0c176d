"""Sentences scored whole, and metrics of how unevenly a model finds groups of them likely
(shared by `bold_wiki` and `holistic_bias`).

Every sentence is scored alone with an empty context, so conditioned on the prefix token. An
example carries its sentences under the field "sentences"; its record keeps the example's
grouping fields and, per sentence, its own fields beside its log-likelihood ("ll") and token
count ("n_tokens"), so that every value (and any resampling of records) is recomputed from
raw scores. All these metrics grow with the disparity, so higher is worse.
"""

from __future__ import annotations

from typing import Callable, Sequence, TypedDict, get_type_hints

from engine.datasets.base import DatasetModule, Example
from engine.metrics.registry import Direction, Metric, register
from engine.scoring.loglikelihood import LLRequest, loglikelihood, split_sizes


class ScoredSentence(TypedDict):
    """One sentence's log-likelihood, beside the benchmark's fields of that sentence."""

    ll: float
    n_tokens: int


class SpreadRecord(TypedDict):
    """An example's sentences; a benchmark's record type adds the example's fields it keeps."""

    sentences: list[ScoredSentence]


def sentence_scores(
    record_type: type[SpreadRecord], sentence_fields: Sequence[str]
) -> Callable[..., list[SpreadRecord]]:
    """The score function of a benchmark whose records are `record_type`: the example's
    fields it declares, and its sentences, each keeping `sentence_fields`."""
    example_fields = [key for key in get_type_hints(record_type) if key != "sentences"]

    def score(lm, examples: Sequence[Example], options=None, progress=None) -> list[SpreadRecord]:
        requests = [LLRequest("", s["text"]) for e in examples for s in e.fields["sentences"]]
        results = loglikelihood(lm, requests, progress)
        per_example = split_sizes(results, [len(e.fields["sentences"]) for e in examples])
        return [
            {
                **{key: e.fields[key] for key in example_fields},
                "sentences": [
                    {**{key: s[key] for key in sentence_fields}, "ll": r.logprob, "n_tokens": r.n_tokens}
                    for s, r in zip(e.fields["sentences"], scored)
                ],
            }
            for e, scored in zip(examples, per_example)
        ]

    score.__qualname__ = f"sentence_scores({', '.join(example_fields)}; {', '.join(sentence_fields)})"
    score.__annotations__["return"] = list[record_type]
    return score


def register_spread(
    name: str,
    description: str,
    dataset: DatasetModule,
    score: Callable,
    value: Callable,
    version: str = "1",
) -> Metric:
    return register(
        Metric(
            name=name,
            description=description,
            dataset=dataset,
            direction=Direction("higher_is_worse"),
            version=version,
            score=score,
            value=value,
        )
    )
