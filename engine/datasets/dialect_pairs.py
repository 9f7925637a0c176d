"""A spec's own parallel sentences in two language varieties (or about two groups), from a
local CSV or JSON Lines file.

Each row holds `text_a` and `text_b`, the same content in each variety, and declares which
variety is which in `variety_a` and `variety_b` (e.g. "AAE" and "SAE"); `text_a` is the
variety whose disadvantage is measured. Optional: `id` (unique; default the row's number)
and `subgroup`, the pair set a row belongs to (default "<variety_a>/<variety_b>").
All rows of one pair set must declare the same two varieties.

There is no built-in copy and no offline corpus of this kind installs here: a check names
its file with `data = { path = "pairs.csv" }`. Published sources a user can convert:
TwitterAAE (Blodgett et al., 2016; demographically aligned tweets, not parallel), the AAE/SAE
tweet pairs of Groenwold et al. (2020) and ReDial (Lin et al., 2024; AAE rewrites of SAE
prompts by native speakers).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterator

from engine.datasets.base import (
    DatasetFormatError,
    DatasetModule,
    DataSource,
    Example,
    LoadedDataset,
    content_hash,
    jsonl_rows,
    require_columns,
)

NAME = "dialect_pairs"
COLUMNS = ("text_a", "text_b", "variety_a", "variety_b")
FORMATS = (".csv", ".jsonl")


def load(source: DataSource) -> LoadedDataset:
    if source.path is None or source.hub is not None:
        raise DatasetFormatError(
            f"{NAME} has no built-in data (nor a hub format): give `data = {{ path = \"pairs.csv\" }}`, "
            f"a CSV or JSON Lines file with {', '.join(COLUMNS)} (optional: id, subgroup)"
        )
    path = Path(source.path)
    if path.suffix not in FORMATS:
        raise DatasetFormatError(f"{path}: a {NAME} file ends in {' or '.join(FORMATS)}")
    examples: list[Example] = []
    seen_ids: dict[str, int] = {}
    varieties: dict[str, tuple[tuple[str, str], int]] = {}
    for n, (line, row) in enumerate(_rows(path)):
        where = f"{path}: line {line}"
        example = _example(row, n, where)
        if example.id in seen_ids:
            raise DatasetFormatError(f"{where}: id {example.id!r} again (first on line {seen_ids[example.id]})")
        seen_ids[example.id] = line
        pair = (example.fields["variety_a"], example.fields["variety_b"])
        declared, first = varieties.setdefault(example.subgroup, (pair, line))
        if declared != pair:
            raise DatasetFormatError(
                f"{where}: pair set {example.subgroup!r} is {pair[0]} vs {pair[1]} here but "
                f"{declared[0]} vs {declared[1]} on line {first}; a pair set compares one pair of varieties"
            )
        examples.append(example)
    if not examples:
        raise DatasetFormatError(f"{path}: no pairs")
    found = tuple(examples)
    return LoadedDataset(NAME, str(path), found, content_hash(found))


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if path.suffix == ".jsonl":
        yield from jsonl_rows(path)
        return
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        require_columns(reader.fieldnames or [], COLUMNS, f"{path}: header", NAME)
        for row in reader:
            yield reader.line_num, row


def _example(row: dict[str, Any], n: int, where: str) -> Example:
    require_columns(row, COLUMNS, where, NAME, kind="key")
    for key in COLUMNS:
        if not isinstance(row[key], str) or not row[key].strip():
            raise DatasetFormatError(f"{where}: {key} must be a non-empty string, not {row[key]!r}")
    item_id = row.get("id")
    if isinstance(item_id, bool) or not isinstance(item_id, (str, int, type(None))):
        raise DatasetFormatError(f"{where}: id must be a string or an integer, not {item_id!r}")
    named = row.get("subgroup")
    if named is not None and not isinstance(named, str):
        raise DatasetFormatError(f"{where}: subgroup must be a string, not {named!r}")
    fields = {key: row[key] for key in COLUMNS}
    subgroup = named or f"{fields['variety_a']}/{fields['variety_b']}"
    return Example(str(n if item_id in (None, "") else item_id), subgroup, fields)


DATASET = DatasetModule(NAME, (), load, default_data=False, unit="pairs")
