"""`fairgate report RUN_DIR` and `fairgate diff RUN_A RUN_B`: from a run's results (results.json
and the records file beside it) alone, no model.

`report` re-renders a finished run's summary.md and report.html, e.g. after their layout
changed or to regenerate a deleted file; `diff` tells what changed between two runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from engine.report import diff as run_diff
from engine.report import writer
from engine.report.run_dir import NoResults, load_results


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
    return run_diff.render(load_results(run_a, with_records=False), load_results(run_b, with_records=False))
