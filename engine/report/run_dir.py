"""A run's directory under reports/: its per-variant parts, results.json with the records file
beside it, and the `latest` link to the newest run."""

from __future__ import annotations

import json
import math
import os
import secrets
import time
from pathlib import Path

from engine.report import records
from engine.store import atomic_write_text

LATEST = "latest"
PARTS = "parts"
RESULTS = "results.json"
RECORDS = "records.parquet"
# 1: every example's records inline; 2: in the records file that results.json names.
RESULTS_VERSION = 2


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def part_name(spec: str, variant: str | None) -> str:
    """A variant's part in the run directory: workers write each under its own name. None: the
    part of a baseline-only run, named with a character no spec or variant name holds."""
    return f"{spec}~baseline" if variant is None else f"{spec}--{variant}"


def point_latest(run: Path) -> None:
    """Swap `reports/latest` to `run` in one rename, so readers never see it missing."""
    tmp = run.parent / f".{LATEST}.{run.name}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(run.name, target_is_directory=True)
    os.replace(tmp, run.parent / LATEST)


def finite(obj):
    """`obj` with every undefined value (NaN, infinity) made null, which every JSON reader
    accepts."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    return obj


def strict_json(obj) -> str:
    return json.dumps(finite(obj), indent=1, allow_nan=False)


def write_part(run: Path, name: str, part: dict) -> Path:
    """Each variant's results land as soon as they exist, so a crash later loses none: its
    records first, then the JSON naming them, which is what marks the part as written."""
    part = finite(part)
    columns = records.new_columns()
    spec = part["spec"]
    checks, models = records.split_spec(spec["name"], spec["checks"], part["models"], columns)
    named = records.write(run / PARTS / f"{name}.parquet", columns)
    path = run / PARTS / f"{name}.json"
    small = {**part, "spec": {**spec, "checks": checks}, "models": models, "records": named}
    atomic_write_text(path, strict_json(small))
    return path


def read_parts(run: Path) -> list[dict]:
    parts = []
    for path in sorted((run / PARTS).glob("*.json")):
        part = json.loads(path.read_text())
        named = part.pop("records")
        spec = part["spec"]
        kept = records.read(path.parent / named["file"], named)
        checks, models = records.join_spec(spec["name"], spec["checks"], part["models"], kept)
        parts.append({**part, "spec": {**spec, "checks": checks}, "models": models})
    return parts


class NoResults(Exception):
    """The directory holds no readable results, so there is nothing to render, compare or merge."""


def write_results(run: Path, results: dict) -> None:
    """results.json without the records, which go to the records file beside it first."""
    columns = records.new_columns()
    specs = {}
    for name, spec in results["specs"].items():
        checks, models = records.split_spec(name, spec["checks"], spec["models"], columns)
        specs[name] = {**spec, "checks": checks, "models": models}
    named = records.write(run / RECORDS, columns)
    small = {**results, "results_version": RESULTS_VERSION, "records": named, "specs": specs}
    atomic_write_text(run / RESULTS, strict_json(small))


def load_results(run: Path, with_records: bool = True) -> dict:
    """A run's results as one dict, records in place (unless `with_records` is false: verdicts
    and values only, the records file not read). Results written before the records file
    existed (version 1) hold their records inline and are read as they are."""
    path = Path(run) / RESULTS
    if not path.is_file():
        raise NoResults(f"{path}: no such file (is {run} a run directory under reports/?)")
    results = json.loads(path.read_text(encoding="utf-8"))
    version = results.get("results_version")
    if version == 1:
        return results
    if version != RESULTS_VERSION:
        raise NoResults(
            f"{path}: results_version {version!r}, which this fairgate cannot read (it reads 1 "
            f"and {RESULTS_VERSION}); use the fairgate that wrote the run"
        )
    named = results.pop("records")
    if not with_records:
        return results
    try:
        kept = records.read(path.parent / named["file"], named)
    except records.RecordsError as e:
        raise NoResults(str(e)) from None
    for name, spec in results["specs"].items():
        spec["checks"], spec["models"] = records.join_spec(name, spec["checks"], spec["models"], kept)
    return results
