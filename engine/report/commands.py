"""`fairgate report RUN_DIR` and `fairgate diff RUN_A RUN_B`: from results.json alone, no model.

`report` re-renders a finished run's summary.md and report.html, e.g. after their layout
changed or to regenerate a deleted file; `diff` tells what changed between two runs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from engine.report import diff as run_diff
from engine.report import writer

RESULTS = "results.json"


class NoResults(Exception):
    """The directory holds no results.json, so there is nothing to render or compare."""


def load_results(run: Path) -> dict:
    path = Path(run) / RESULTS
    if not path.is_file():
        raise NoResults(f"{path}: no such file (is {run} a run directory under reports/?)")
    return json.loads(path.read_text(encoding="utf-8"))


def report(run: Path) -> int:
    try:
        results = load_results(run)
    except NoResults as e:
        print(e, file=sys.stderr)
        return 2
    writer.write_views(Path(run), results)
    print(f"wrote {Path(run) / 'summary.md'} and {Path(run) / 'report.html'}")
    return 0


def diff(run_a: Path, run_b: Path) -> str:
    """Markdown of what changed from run_a to run_b; `no changes` when nothing did.

    Raises NoResults when either directory has no results.json.
    """
    return run_diff.render(load_results(run_a), load_results(run_b))
