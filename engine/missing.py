"""Scores a model did not produce: non-finite numbers in an example's record.

A model that overflows in float16, or whose kernel breaks on some shapes, returns NaN or
infinite log-likelihoods (and a classifier may return NaN for a text). Compared as numbers,
NaN turns into an answer: `NaN > x` is False, so a NaN pair counts as "not stereotyped", and
numpy's argmax takes a NaN as the best choice. The gate therefore checks every record, of
every metric, here and in one way: a record holding a non-finite number anywhere is missing.
Its example is left out of both models' values (the change stays paired), and the item
fails with the count, since a verdict on the examples that remain would re-weight the
subgroup towards those the model could still score.

None is not missing: records use it for what has no value by design (an empty
continuation's per-token log-probability, a comparison undefined for a tie).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

Record = dict[str, Any]


def non_finite_fields(record: Record) -> tuple[str, ...]:
    """The keys under which the record holds a non-finite number, at any depth."""
    found: set[str] = set()
    _walk(record, None, found)
    return tuple(sorted(found))


def _walk(value: Any, key: str | None, found: set[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _walk(v, str(k), found)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _walk(v, key, found)
    elif isinstance(value, float) and not math.isfinite(value):
        found.add(key or "value")


@dataclass(frozen=True)
class MissingScores:
    """Of a subgroup's n examples, how many each model could not score, and where."""

    n: int
    baseline: int
    variant: int
    fields: tuple[str, ...]  # the record keys that held non-finite numbers

    def reasons(self, unit: str) -> list[str]:
        what = describe_fields(self.fields)
        return [
            f"{count} of {self.n} {unit} have no finite {what} in the {model} "
            f"({', '.join(self.fields)}: NaN or infinite); a score the model did not produce "
            "is not an answer, so the item cannot pass (the values shown leave those "
            f"{unit} out of both models)"
            for model, count in (("baseline", self.baseline), ("variant", self.variant))
            if count
        ]


def complete(
    indices: Sequence[int], baseline: Sequence[Record], variant: Sequence[Record]
) -> tuple[list[int], MissingScores | None]:
    """The indices whose records are complete in both models, and what is missing (None if
    nothing is)."""
    base_missing = {i: non_finite_fields(baseline[i]) for i in indices}
    variant_missing = {i: non_finite_fields(variant[i]) for i in indices}
    kept = [i for i in indices if not base_missing[i] and not variant_missing[i]]
    if len(kept) == len(indices):
        return kept, None
    fields = sorted({f for found in (*base_missing.values(), *variant_missing.values()) for f in found})
    return kept, MissingScores(
        n=len(indices),
        baseline=sum(bool(f) for f in base_missing.values()),
        variant=sum(bool(f) for f in variant_missing.values()),
        fields=tuple(fields),
    )


def complete_records(records: Sequence[Record]) -> list[Record]:
    """One model's records without its missing ones (for its own per-subgroup values)."""
    return [r for r in records if not non_finite_fields(r)]


_WORDS = (
    ("toxicity", "toxicity score"),
    ("sentiment", "sentiment score"),
    ("ll", "log-likelihood"),
    ("logprob", "log-likelihood"),
    ("p", "answer probability"),
)


def describe_fields(fields: Sequence[str]) -> str:
    """What the missing numbers are, in words, e.g. "log-likelihood"."""
    words = []
    for field in fields:
        word = next((w for part, w in _WORDS if part in field.split("_")), "score")
        if word not in words:
            words.append(word)
    return " or ".join(words)
