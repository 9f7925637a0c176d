"""Every example's scores in a Parquet file beside the JSON that names it.

results.json (and each variant's part) keeps what a reviewer reads: verdicts, per-subgroup
values, provenance. The per-example records grow with examples x models x specs, to gigabytes
for a suite on a large model with several variants, so they live in a columnar file: one row
per record, with columns

    spec, check, model (null for the check's sample itself: ids, subgroups, pools),
    position (in the sample), id, record

`record` is the rest of the record as JSON text: records differ by metric and nest
(continuations, answer distributions), and JSON keeps them exactly (floats round-trip, an
undefined value is null as in results.json). The other columns let a reader select one
model's check without parsing the rest (pyarrow filters, pandas, DuckDB).

In memory the records stay where results.json held them before this file existed (each
model's `checks[metric]["examples"]`, each spec check's `examples`), so every view reads one
shape; `split` takes them out before writing and `join` puts them back after reading.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from engine.store import atomic_write

EXAMPLES = "examples"
SCHEMA = pa.schema(
    [
        ("spec", pa.string()),
        ("check", pa.string()),
        ("model", pa.string()),
        ("position", pa.int64()),
        ("id", pa.string()),
        ("record", pa.string()),
    ]
)

Key = tuple[str, str, "str | None"]  # spec, check, model (None: the sample)


class RecordsError(Exception):
    """A records file that is missing or does not hold what its JSON says."""


def _without_examples(checks: dict) -> dict:
    return {name: {k: v for k, v in c.items() if k != EXAMPLES} for name, c in checks.items()}


def _rows(key: Key, listed: list[dict], columns: dict[str, list]) -> None:
    spec, check, model = key
    for position, item in enumerate(listed):
        rest = {k: v for k, v in item.items() if k != "id"}
        columns["spec"].append(spec)
        columns["check"].append(check)
        columns["model"].append(model)
        columns["position"].append(position)
        columns["id"].append(item["id"])
        columns["record"].append(json.dumps(rest, allow_nan=False))


def split_spec(name: str, spec_checks: dict, models: dict, columns: dict[str, list]) -> tuple[dict, dict]:
    """`spec_checks` and `models` without their examples, which are appended to `columns`.
    Values must be finite already (run_dir.finite): the file holds what results.json would."""
    for check, entry in spec_checks.items():
        _rows((name, check, None), entry.get(EXAMPLES, []), columns)
    for label, model in models.items():
        for check, entry in model["checks"].items():
            _rows((name, check, label), entry.get(EXAMPLES, []), columns)
    small_models = {
        label: {**model, "checks": _without_examples(model["checks"])} for label, model in models.items()
    }
    return _without_examples(spec_checks), small_models


def new_columns() -> dict[str, list]:
    return {field.name: [] for field in SCHEMA}


def write(path: Path, columns: dict[str, list]) -> dict:
    """The records file, written atomically; returns how the JSON beside it names it."""
    table = pa.table(columns, schema=SCHEMA)
    atomic_write(path, lambda f: pq.write_table(table, f, compression="zstd"))
    return {"file": path.name, "rows": table.num_rows}


def read(path: Path, named: dict) -> dict[Key, list[dict]]:
    """The records of the file `named` (as `write` returned it) in `path`'s directory, per key,
    in sample order."""
    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise RecordsError(
            f"{path}: no such file; {named['file']} holds every example's scores and must be "
            "copied along with the JSON file that names it"
        ) from None
    if table.num_rows != named["rows"]:
        raise RecordsError(f"{path}: {table.num_rows} rows, but the JSON beside it names {named['rows']}")
    grouped: dict[Key, list[tuple[int, dict]]] = defaultdict(list)
    columns = table.to_pydict()
    for spec, check, model, position, id_, record in zip(*(columns[f.name] for f in SCHEMA)):
        grouped[(spec, check, model)].append((position, {"id": id_, **json.loads(record)}))
    return {key: [item for _, item in sorted(items, key=lambda p: p[0])] for key, items in grouped.items()}


def join_spec(name: str, spec_checks: dict, models: dict, records: dict[Key, list[dict]]) -> tuple[dict, dict]:
    """`split_spec` undone: each check and model entry with its examples back."""
    full_checks = {
        check: {**entry, EXAMPLES: records.get((name, check, None), [])} for check, entry in spec_checks.items()
    }
    full_models = {
        label: {
            **model,
            "checks": {
                check: {**entry, EXAMPLES: records.get((name, check, label), [])}
                for check, entry in model["checks"].items()
            },
        }
        for label, model in models.items()
    }
    return full_checks, full_models
