"""A results.json the size of a suite run, built from the stored fixture by copying its checks
and subgroups under new names (values unchanged), for tests of what a big run looks like."""

from __future__ import annotations

import copy
import json
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "results.json"


def fixture() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def many_checks(results: dict, copies: int, subgroup_copies: int = 1) -> dict:
    """Every check `copies` times (`metric~k`), and in the verdicts every subgroup
    `subgroup_copies` times (`subgroup~j`); the records stay those of the original check."""
    large = copy.deepcopy(results)
    for spec in large["specs"].values():
        spec["checks"] = {
            f"{metric}~{k}": check for metric, check in spec["checks"].items() for k in range(copies)
        }
        for model in spec["models"].values():
            model["checks"] = {
                f"{metric}~{k}": records
                for metric, records in model["checks"].items()
                for k in range(copies)
            }
        spec["verdicts"] = [
            {**v, "metric": f"{v['metric']}~{k}", "subgroup": _subgroup(v["subgroup"], j)}
            for v in spec["verdicts"]
            for k in range(copies)
            for j in range(subgroup_copies)
        ]
    verdicts = [v for spec in large["specs"].values() for v in spec["verdicts"]]
    failed = sum(not v["passed"] for v in verdicts)
    large["totals"] = {**large["totals"], "failed": failed, "passed": len(verdicts) - failed, "verdicts": len(verdicts)}
    return large


def _subgroup(name: str, copy_number: int) -> str:
    # "overall" stays unique: the plots and the trend treat it apart from the subgroups.
    return name if name == "overall" or copy_number == 0 else f"{name}~{copy_number}"
