"""Turn a run directory's parts into results.json (with records.parquet beside it),
summary.md and report.html.

On GitHub Actions ($GITHUB_STEP_SUMMARY set) summary.md is also appended to the job's step
summary, so the verdicts show on the run's page without opening an artifact.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from engine.provenance import library_versions, machine
from engine.report import html, run_dir, summary
from engine.store import atomic_write_text


def finish(run: Path, extra: dict | None = None) -> dict | None:
    """`extra`: further top-level entries of results.json (a merged run's inputs)."""
    parts = run_dir.read_parts(run)
    if not parts:
        return None
    # The views show what the files will say: undefined, not nan; lists, not tuples.
    results = json.loads(run_dir.strict_json(merge(run.name, parts) | (extra or {})))
    run_dir.write_results(run, results)
    markdown = write_views(run, results)
    append_step_summary(markdown)
    run_dir.point_latest(run)
    return results


def merge(run_id: str, parts: list[dict]) -> dict:
    specs: dict[str, dict] = {}
    for part in parts:
        name = part["spec"]["name"]
        entry = specs.setdefault(name, {**part["spec"], "models": {}, "verdicts": []})
        entry["models"].update(part["models"])
        entry["verdicts"] += part["verdicts"]
    verdicts = [v for s in specs.values() for v in s["verdicts"]]
    return {
        "results_version": run_dir.RESULTS_VERSION,
        "run_id": run_id,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "provenance": {"libraries": library_versions(), "machine": machine()},
        "totals": {
            "verdicts": len(verdicts),
            "passed": sum(v["passed"] for v in verdicts),
            "failed": sum(not v["passed"] for v in verdicts),
        },
        "specs": specs,
    }


def write_views(run: Path, results: dict) -> str:
    """summary.md and report.html, from results.json's content alone; returns the Markdown."""
    markdown = summary.render(results)
    atomic_write_text(run / "summary.md", markdown)
    atomic_write_text(run / "report.html", html.render_report(results))
    return markdown


def append_step_summary(text: str) -> None:
    """Append to GitHub's step summary file; other steps of the job may have written to it."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as f:
        f.write(text + "\n")
