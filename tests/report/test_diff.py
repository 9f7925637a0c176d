"""`fairgate diff`: what changed between two runs, matched by spec, variant, check, subgroup."""

from __future__ import annotations

import json

import pytest

from engine.report import commands, diff


def verdict(subgroup, passed=True, worsening=0.02, interval=(-0.03, 0.07)):
    return {
        "variant": "hqq", "metric": "bbq.bias", "subgroup": subgroup, "passed": passed,
        "worsening": worsening, "worsening_interval": list(interval),
    }


def results(run_id, verdicts, sha="0" * 64):
    return {"results_version": 1, "run_id": run_id, "specs": {"demo": {"sha256": sha, "verdicts": verdicts}}}


def write_run(tmp_path, data):
    run = tmp_path / data["run_id"]
    run.mkdir()
    (run / "results.json").write_text(json.dumps(data))
    return run


def test_identical_runs_have_no_changes(tmp_path):
    data = results("a", [verdict("Age"), verdict("SES", passed=False, worsening=0.3)])
    first = write_run(tmp_path, data)
    second = write_run(tmp_path, {**data, "run_id": "b"})
    assert commands.diff(first, second) == "no changes"


def test_a_move_within_the_intervals_is_not_a_change():
    before = results("a", [verdict("Age", worsening=0.02, interval=(-0.03, 0.07))])
    after = results("b", [verdict("Age", worsening=0.06, interval=(0.01, 0.11))])
    assert diff.render(before, after) == "no changes"


def test_flips_moves_additions_removals_and_a_changed_spec_are_listed():
    before = results("a", [
        verdict("Age"),
        verdict("SES", worsening=0.01, interval=(-0.02, 0.04)),
        verdict("Gone"),
        verdict("Undefined", worsening=None, interval=(None, None)),
    ])
    after = results("b", [
        verdict("Age", passed=False, worsening=0.3, interval=(0.2, 0.4)),
        verdict("SES", worsening=0.08, interval=(0.05, 0.11)),
        verdict("New|row"),
        verdict("Undefined"),
    ], sha="1" * 64)
    changes = diff.compare(before, after)
    assert changes.specs_changed == ["demo"]
    assert [k[3] for k, _, _ in changes.flipped] == ["Age"]
    assert [k[3] for k, _, _ in changes.moved] == ["SES", "Undefined"]
    assert [k for k, _ in changes.added] == [("demo", "hqq", "bbq.bias", "New|row")]
    assert [k[3] for k, _ in changes.removed] == ["Gone"]

    lines = diff.render(before, after).splitlines()
    assert lines[0] == "# Changes from run a to b"
    assert "| demo | hqq | bbq.bias | Age | pass | **FAIL** | +0.020 [-0.030, +0.070] | +0.300 [+0.200, +0.400] |" in lines
    assert "| demo | hqq | bbq.bias | Undefined | pass | pass | undefined | +0.020 [-0.030, +0.070] |" in lines
    # A pipe in a subgroup name is escaped, so the row keeps its columns.
    added = next(line for line in lines if "New" in line)
    assert added.count("|") == 7 and "New&#124;row" in added
    assert any("spec demo: its file changed (sha256 000000000000 -> 111111111111)" in line for line in lines)


def test_a_directory_without_results_is_named(tmp_path):
    run = write_run(tmp_path, results("a", []))
    with pytest.raises(commands.NoResults, match="missing"):
        commands.diff(run, tmp_path / "missing")
