"""Metrics by name, each with the data set it reads and the direction in which it worsens.

The benchmark modules listed in `METRICS` register their metrics when first imported, which
the registry does on the first lookup."""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import Any, Callable, Literal, Sequence, get_args, get_type_hints, is_typeddict

import numpy as np
from engine.datasets.base import DatasetModule
from engine.registry import Registry
from engine.scoring.generation import GenerationConfig
from engine.scoring.loglikelihood import Normalization
from engine.scoring.text_scores import ScorerChoice

# A record's shape is the TypedDict its metric's score function declares it returns (e.g.
# crows_pairs.PairRecord): the contract between score, value, outcome and the report.
Record = dict[str, Any]
DirectionKind = Literal["higher_is_worse", "lower_is_worse", "distance_from_ideal"]


class RecordShapeError(TypeError):
    """A metric's score function returned a record without the keys its type declares."""


@dataclass(frozen=True)
class Direction:
    kind: DirectionKind
    ideal: float | None = None

    def worsening(self, baseline: float, variant: float) -> float:
        """How much worse the variant is than the baseline (negative: it improved); works
        elementwise on arrays of resampled values too."""
        if self.kind == "higher_is_worse":
            return variant - baseline
        if self.kind == "lower_is_worse":
            return baseline - variant
        return abs(variant - self.ideal) - abs(baseline - self.ideal)

    def describe(self) -> str:
        if self.kind == "distance_from_ideal":
            return f"distance from {self.ideal:g} is worse"
        return self.kind.replace("_", " ")


@dataclass(frozen=True)
class ScoringOptions:
    """What a check may choose about how its examples are scored and how its values are
    computed from their records (`bins`), so that records never carry a check's options."""

    normalization: Normalization | None = None
    generation: GenerationConfig | None = None  # decoding, for metrics on generated text
    scorer: ScorerChoice | None = None  # the text classifier, for metrics that take one
    bins: int | None = None  # equal-mass bins, for calibration error


@dataclass(frozen=True)
class Metric:
    """A bias metric: how to score one example with a model, and how to summarise a subgroup.

    `score` turns examples into per-example records using the scoring primitives;
    `value` is a pure function of a subgroup's records, written over example weights
    (`weighted.resamplable`) so that the paired bootstrap resamples every metric the same
    way. `outcome`, for metrics that are a share of a yes/no judgement per example, gives
    that judgement (1/0, NaN where an example does not count) for flip counts and McNemar's
    test. `version` goes into every cache key,
    so a change in how examples are scored invalidates stored results. `normalization` is
    the default length normalisation of compared log-likelihoods for metrics that let a
    check choose one, None for metrics that do not.

    Metrics on generated text: `generation` is their default decoding (None for metrics
    that generate nothing); `scorers` names the text classifiers a check must choose from
    (empty: the metric takes none, e.g. sentiment, which is VADER by definition);
    `example_score` is the field of a record's continuations that the value is built from,
    which the report ranks the worst examples by. `samples` marks metrics that read several
    continuations per prompt (`generation.samples`); every other metric reads one.

    Metrics that compare a model with the baseline item by item (how far a variant's answer
    distribution moved, how often its answer flipped, how likely it finds the baseline's own
    continuation) set `reference`: their `score` then takes `reference=`, the baseline's
    records of the same check, or None when scoring the baseline itself, which is its own
    reference (so an identical variant changes by exactly 0).
    """

    name: str
    description: str
    dataset: DatasetModule
    direction: Direction
    version: str
    score: Callable[..., list[Record]]  # (lm, examples, options, progress[, reference])
    value: Callable[..., Any]  # (records[, weights (B, n)], **value options), see `valued`
    normalization: Normalization | None = None
    outcome: Callable[[Sequence[Record]], np.ndarray] | None = None
    generation: GenerationConfig | None = None
    scorers: tuple[str, ...] = ()
    example_score: str | None = None
    reference: bool = False
    bins: int | None = None  # default equal-mass bins, for metrics that bin by confidence
    samples: bool = False

    def default_generation(self, spec_seed: int) -> GenerationConfig | None:
        """Its own decoding, for a check that names none; a sampled one draws from the
        spec's seed, as a check's own `generation` does."""
        if self.generation is None or not self.generation.do_sample:
            return self.generation
        return dataclasses.replace(self.generation, seed=spec_seed)

    def options(
        self,
        normalization: Normalization | None = None,
        generation: GenerationConfig | None = None,
        scorer: ScorerChoice | None = None,
        bins: int | None = None,
    ) -> ScoringOptions:
        return ScoringOptions(
            normalization or self.normalization, generation or self.generation, scorer, bins or self.bins
        )

    def valued(self, options: ScoringOptions | None = None) -> Callable[..., Any]:
        """Its value function under a check's options (default: the metric's own):
        (records) -> float, (records, weights) -> (B,). Only metrics that bin by confidence
        read one, `bins`."""
        if self.bins is None:
            return self.value
        return functools.partial(self.value, bins=(options and options.bins) or self.bins)

    @property
    def record_type(self) -> type:
        """The TypedDict of its records, from its score function's return annotation."""
        returned = get_type_hints(self.score).get("return")
        item = get_args(returned)[0] if get_args(returned) else None
        if item is None or not is_typeddict(item):
            raise RecordShapeError(f"{self.name}: its score function declares no list of a TypedDict")
        return item

    def checked(self, records: list[Record]) -> list[Record]:
        """`records`, after checking each has the keys its record type requires."""
        required = self.record_type.__required_keys__
        for i, record in enumerate(records):
            missing = required - record.keys()
            if missing:
                raise RecordShapeError(
                    f"{self.name}: record {i} lacks {', '.join(sorted(missing))} "
                    f"(declared by {self.record_type.__qualname__})"
                )
        return records

    def subgroup_value(self, records: Sequence[Record], options: ScoringOptions | None = None) -> float:
        return self.valued(options)(records) if records else math.nan


BENCHMARKS = (
    "bbq",
    "bbq_confidence",
    "bold_generation",
    "bold_wiki",
    "counterfactual",
    "crows_pairs",
    "dialect_pairs",
    "discrim_eval",
    "holistic_bias",
    "honest",
    "multiple_choice",
    "real_toxicity_prompts",
    "reddit_bias",
    "stereoset",
    "winobias",
    "winogender",
)
METRICS: Registry[Metric] = Registry("metric", tuple(f"engine.metrics.{m}" for m in BENCHMARKS))


def register(metric: Metric) -> Metric:
    # Owned by the module of its score function, the same however a family registers it.
    return METRICS.register(metric.name, metric, metric.score.__module__)


def get_metric(name: str) -> Metric:
    return METRICS.get(name)


def metric_names() -> list[str]:
    return METRICS.names()
