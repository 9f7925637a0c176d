"""On GitHub Actions summary.md is appended to the step summary; `fairgate report` re-renders it."""

from __future__ import annotations

import json

from engine.report import commands, run_dir, summary, writer
from tests.report.real_part import real_part

PART = real_part()


def test_summary_is_appended_to_the_step_summary(tmp_path, monkeypatch):
    step_summary = tmp_path / "step-summary.md"
    step_summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    run = tmp_path / "run"
    run_dir.write_part(run, "demo--hqq", PART)
    writer.finish(run)
    assert step_summary.read_text() == "earlier step\n" + (run / "summary.md").read_text() + "\n"


def test_without_the_variable_only_the_run_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    reports = tmp_path / "reports"
    run_dir.write_part(reports / "run", "demo--hqq", PART)
    writer.finish(reports / "run")
    written = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert written == [
        "demo--hqq.json", "demo--hqq.parquet", "records.parquet", "report.html", "results.json", "summary.md"
    ]


def test_report_rerenders_summary_from_results_json(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    run = tmp_path / "run"
    run_dir.write_part(run, "demo--hqq", PART)
    writer.finish(run)
    expected = (run / "summary.md").read_text()
    (run / "summary.md").unlink()
    assert commands.report(run) == 0
    assert (run / "summary.md").read_text() == expected
    assert expected == summary.render(json.loads((run / "results.json").read_text()))
    assert commands.report(tmp_path / "nowhere") == 2
    assert "nowhere/results.json: no such file" in capsys.readouterr().err
