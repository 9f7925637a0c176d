"""A run part (one variant's share of results.json) cut from the real suite run in
`fixtures/results.json`, for tests that finish a run and need every field a report reads."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "results.json"
VARIANT = "hqq-4bit-g64"


def real_spec() -> dict:
    results = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return next(iter(results["specs"].values()))


def real_part(variant: str = VARIANT) -> dict:
    spec = real_spec()
    return {
        "spec": {k: spec[k] for k in ("name", "file", "sha256", "spec", "checks")},
        "models": {label: spec["models"][label] for label in ("baseline", variant)},
        "verdicts": [v for v in spec["verdicts"] if v["variant"] == variant],
    }
