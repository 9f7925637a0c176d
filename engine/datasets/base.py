"""What every benchmark module yields: examples with a stable id and a subgroup label."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Container, Iterable, Iterator, Sequence

import numpy as np

from engine.seeds import stable_seed

OVERALL = "overall"


class DatasetFormatError(ValueError):
    """A data file that does not have what its benchmark needs; the message names the file."""


def require_columns(
    row: Container[str], columns: Sequence[str], where: str, benchmark: str, kind: str = "column"
) -> None:
    """`row` is a row or a header; `kind` names what its fields are called in its format
    (columns, JSON keys)."""
    missing = [c for c in columns if c not in row]
    if missing:
        raise DatasetFormatError(
            f"{where} has no {kind}(s) {', '.join(missing)}; {benchmark} needs {', '.join(columns)}"
        )


def unix_newlines(text: str) -> str:
    """Line breaks inside a text field as the published data writes them ("\\n"). A CSV saved
    with Windows line endings keeps "\\r\\n" inside quoted fields, and "\\r" is a token of its
    own to a tokenizer, so the sentence would be scored as other text than the benchmark's."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSON Lines file."""
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise DatasetFormatError(f"{path}: line {n} is not JSON ({e.msg})") from None
            if not isinstance(row, dict):
                raise DatasetFormatError(f"{path}: line {n} is not a JSON object")
            yield n, row


@dataclass(frozen=True)
class Example:
    id: str  # the source row id, stable across runs
    subgroup: str  # the one subgroup it is sampled in
    fields: dict[str, Any] = field(hash=False)
    # Further subgroups it counts in, unions of subgroups (BBQ's label and name items of one
    # category pooled): it is judged there too but sampled only as a member of `subgroup`.
    pools: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadedDataset:
    name: str
    source: str  # where it was read from, for provenance
    examples: tuple[Example, ...]
    content_hash: str  # over the normalised examples, so any source gives one identity

    @property
    def subgroups(self) -> list[str]:
        return sorted({g for e in self.examples for g in (e.subgroup, *e.pools)})


@dataclass(frozen=True)
class DataSource:
    """Where a check reads its data from: the offline copy, a local file, or a hub dataset."""

    path: Path | None = None
    hub: str | None = None
    config: str | None = None
    split: str = "test"
    revision: str | None = None


@dataclass(frozen=True)
class DatasetModule:
    name: str
    # The subgroups of the default data: a tuple when known without loading it, else None
    # and read from the offline copy when first asked for.
    known_subgroups: tuple[str, ...] | None
    load: Callable[[DataSource], LoadedDataset]
    default_data: bool = True  # False: a check must name its data (`path` or `hub`)
    unit: str = "examples"  # what one example is, in messages: "12 of 262 pairs ..."

    @property
    def subgroups(self) -> tuple[str, ...]:
        if self.known_subgroups is not None:
            return self.known_subgroups
        return _default_subgroups(self)


# A source's items before they are grouped: (id, fields).
Item = tuple[str, dict[str, Any]]


def grouped_by(
    name: str, key: str, read: Callable[[DataSource], tuple[Iterable[Item], str]]
) -> Callable[[DataSource], LoadedDataset]:
    """The loader of the data set `name`: the items `read` finds in a source (and where it
    read them), each in the subgroup its field `key` names. Several data sets group the same
    items differently (Winogender by gender or by answer, StereoSet by domain or by target)."""

    def load(source: DataSource) -> LoadedDataset:
        items, where = read(source)
        examples = tuple(Example(item_id, str(fields[key]), fields) for item_id, fields in items)
        return LoadedDataset(name, where, examples, content_hash(examples))

    return load


@functools.cache
def _default_subgroups(module: DatasetModule) -> tuple[str, ...]:
    return tuple(module.load(DataSource()).subgroups)


def content_hash(examples: Sequence[Example]) -> str:
    h = hashlib.sha256()
    for e in examples:
        # pools only when present, so data sets without them keep their hash (and cache)
        payload = [e.id, e.subgroup, e.fields] + ([list(e.pools)] if e.pools else [])
        h.update(json.dumps(payload, sort_keys=True).encode())
        h.update(b"\n")
    return h.hexdigest()


def sample_per_subgroup(
    examples: Sequence[Example], max_examples: int | None, seed: int, salt: str
) -> list[Example]:
    """At most `max_examples` per subgroup, a seeded sample kept in source order."""
    if max_examples is None:
        return list(examples)
    by_group: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        by_group.setdefault(e.subgroup, []).append(i)
    keep: list[int] = []
    for group in sorted(by_group):
        idx = by_group[group]
        if len(idx) > max_examples:
            rng = np.random.default_rng(stable_seed(seed, salt, group))
            idx = sorted(rng.choice(idx, size=max_examples, replace=False).tolist())
        keep.extend(idx)
    return [examples[i] for i in sorted(keep)]
