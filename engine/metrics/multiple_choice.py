"""A spec's own multiple-choice items (`datasets.multiple_choice`): accuracy, and the
confidence and distribution-shift metrics of `confidence`, per subgroup.

Each choice is scored by its summed log-likelihood as the continuation of the prompt after
lm-evaluation-harness's target delimiter " " (its `acc`); the answer is the most likely
choice, the first of tied ones."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from engine.datasets import multiple_choice as data
from engine.datasets.base import Example
from engine.metrics import distributions as dist
from engine.metrics import weighted
from engine.metrics.confidence import LOWER_IS_WORSE, ChoiceRecord, register_family
from engine.metrics.registry import Metric, ScoringOptions, register
from engine.metrics.weighted import Weights, resamplable
from engine.scoring.loglikelihood import LLRequest, loglikelihood

TARGET_DELIMITER = " "


class AnswerRecord(ChoiceRecord):
    answer: int | None  # the most likely choice; None when a score is not finite
    correct: bool | None


def choices(lm, examples: Sequence[Example], options: ScoringOptions, progress=None) -> list[ChoiceRecord]:
    requests = [
        LLRequest(e.fields["prompt"], TARGET_DELIMITER + choice)
        for e in examples
        for choice in e.fields["choices"]
    ]
    results = iter(loglikelihood(lm, requests, progress))
    return [
        {"ll": [next(results).logprob for _ in e.fields["choices"]], "gold": e.fields["answer"]}
        for e in examples
    ]


def score(lm, examples: Sequence[Example], options: ScoringOptions, progress=None) -> list[AnswerRecord]:
    records = []
    for item in choices(lm, examples, options, progress):
        answer = dist.answer(item["ll"])  # the same choice as argmax p; None if not finite
        correct = None if answer is None else answer == item["gold"]
        records.append({**item, "answer": answer, "correct": correct})
    return records


def _correct(records: Sequence[AnswerRecord]) -> np.ndarray:
    return weighted.column(records, "correct")


@resamplable
def accuracy(records: Sequence[AnswerRecord], weights: Weights) -> np.ndarray:
    return weighted.mean(_correct(records), weights)


ACCURACY = register(
    Metric(
        name="multiple_choice.accuracy",
        description="your multiple-choice items: share answered correctly (most likely choice)",
        dataset=data.DATASET,
        direction=LOWER_IS_WORSE,
        version="1",
        score=score,
        value=accuracy,
        outcome=_correct,
    )
)
METRICS = register_family("multiple_choice", "your multiple-choice items", data.DATASET, choices)
