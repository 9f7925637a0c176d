"""results.json stays small: every example's records go to records.parquet beside it, and
each reader gets them back exactly; a run written before (records inline) still reads."""

from __future__ import annotations

import json
import os
import shutil
import stat

import pyarrow.parquet as pq
import pytest

from engine.report import commands, run_dir, writer
from engine.report.run_dir import NoResults, load_results
from tests.report.real_part import FIXTURE, VARIANT, real_part

PART = real_part()


def finished(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    run = tmp_path / "run"
    run_dir.write_part(run, "demo--hqq", PART)
    return run, writer.finish(run)


def keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def test_results_json_holds_no_example_and_the_records_file_holds_them_all(tmp_path, monkeypatch):
    run, results = finished(tmp_path, monkeypatch)
    small = json.loads((run / "results.json").read_text())
    assert "examples" not in keys(small["specs"])
    assert small["records"] == {"file": "records.parquet", "rows": small["records"]["rows"]}
    spec = next(iter(PART["spec"]["checks"].values()))
    listed = sum(len(c["examples"]) for c in PART["spec"]["checks"].values())
    scored = sum(len(c["examples"]) for m in PART["models"].values() for c in m["checks"].values())
    assert small["records"]["rows"] == listed + scored > 0
    assert spec["examples"] == [], "the fixture trims StereoSet's listing; BOLD's is what is counted"
    # The part is written the same way: its JSON small, its records beside it.
    assert "examples" not in keys(json.loads((run / "parts" / "demo--hqq.json").read_text())["models"])


def test_records_read_back_are_exactly_those_written(tmp_path, monkeypatch):
    run, results = finished(tmp_path, monkeypatch)
    assert load_results(run) == results
    spec = results["specs"][PART["spec"]["name"]]
    assert spec["models"] == json.loads(json.dumps(PART["models"]))
    assert spec["checks"] == PART["spec"]["checks"]


def test_the_columns_select_one_models_check_without_reading_the_rest(tmp_path, monkeypatch):
    run, _ = finished(tmp_path, monkeypatch)
    check = "bold_generation.sentiment"
    table = pq.read_table(run / "records.parquet", filters=[("model", "=", VARIANT), ("check", "=", check)])
    expected = PART["models"][VARIANT]["checks"][check]["examples"]
    assert table.column("id").to_pylist() == [e["id"] for e in expected]
    assert table.column("position").to_pylist() == list(range(len(expected)))
    first = json.loads(table.column("record")[0].as_py())
    assert {"id": expected[0]["id"], **first} == expected[0]


def test_a_run_from_before_the_records_file_is_read_with_its_records_inline(tmp_path, capsys):
    run = tmp_path / "old"
    run.mkdir()
    shutil.copy(FIXTURE, run / "results.json")
    results = load_results(run)
    assert results["results_version"] == 1
    assert results == json.loads(FIXTURE.read_text())
    assert commands.report(run) == 0
    assert "hqq-3bit-g64" in (run / "summary.md").read_text()


def test_a_missing_records_file_is_named_and_diff_needs_none(tmp_path, monkeypatch, capsys):
    run, _ = finished(tmp_path, monkeypatch)
    (run / "records.parquet").unlink()
    with pytest.raises(NoResults, match=r"records\.parquet: no such file; records\.parquet holds every example"):
        load_results(run)
    assert commands.report(run) == 2
    assert "must be copied along with the JSON file that names it" in capsys.readouterr().err
    assert commands.diff(run, run) == "no changes"


def test_records_that_do_not_match_their_json_are_refused(tmp_path, monkeypatch):
    run, _ = finished(tmp_path, monkeypatch)
    other = tmp_path / "other"
    baseline_only = real_part() | {"verdicts": []}
    baseline_only["models"] = {"baseline": baseline_only["models"]["baseline"]}
    run_dir.write_part(other, "demo~baseline", baseline_only)
    writer.finish(other)
    shutil.copy(other / "records.parquet", run / "records.parquet")
    with pytest.raises(NoResults, match=r"records\.parquet: \d+ rows, but the JSON beside it names \d+"):
        load_results(run)


def test_a_results_version_this_fairgate_cannot_read_is_named(tmp_path, monkeypatch):
    run, _ = finished(tmp_path, monkeypatch)
    results = json.loads((run / "results.json").read_text())
    (run / "results.json").write_text(json.dumps(results | {"results_version": 99}))
    with pytest.raises(NoResults, match="results_version 99, which this fairgate cannot read"):
        load_results(run)


@pytest.mark.parametrize("mask", [0o022, 0o002])
def test_every_file_of_a_run_gets_the_mode_the_umask_allows(tmp_path, monkeypatch, mask):
    old = os.umask(mask)
    try:
        run, _ = finished(tmp_path, monkeypatch)
    finally:
        os.umask(old)
    written = [p for p in run.rglob("*") if not p.is_symlink()]
    assert {p.name for p in written} >= {"results.json", "records.parquet", "summary.md", "report.html"}
    assert {stat.S_IMODE(p.stat().st_mode) for p in written if p.is_file()} == {0o666 & ~mask}
    assert {stat.S_IMODE(p.stat().st_mode) for p in [run, *written] if p.is_dir()} == {0o777 & ~mask}
