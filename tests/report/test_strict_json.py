"""results.json stays valid JSON when a subgroup's value is undefined."""

from __future__ import annotations

import json
import math

from engine.report import summary
from engine.report.run_dir import strict_json


def test_nan_and_infinity_become_null():
    text = strict_json({"a": [1.0, math.nan, {"b": -math.inf}], "c": (2, "x")})
    assert json.loads(text) == {"a": [1.0, None, {"b": None}], "c": [2, "x"]}
    assert "NaN" not in text and "Infinity" not in text


def test_summary_shows_an_undefined_value_as_such():
    verdict = {
        "passed": False, "variant": "v", "metric": "m", "subgroup": "g", "baseline": 0.5,
        "value": None, "change": None, "worsening": None, "tolerance": 0.1, "n": 0,
        "worsening_interval": [None, None], "rule": "point", "reasons": ["empty"], "warnings": [],
    }
    results = {
        "run_id": "r",
        "totals": {"failed": 1, "passed": 0, "verdicts": 1},
        "specs": {"s": {"name": "s", "file": "s.toml", "sha256": "0" * 64, "checks": {}, "verdicts": [verdict]}},
    }
    row = next(line for line in summary.render(results).splitlines() if line.startswith("| v |"))
    assert row == "| v | m | g | 0.500 | undefined | undefined | undefined | 0.100 | 0 | empty |"
