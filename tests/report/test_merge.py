"""`fairgate merge`: run directories that each judged some variants of a spec make the run a
single machine would have written, and inputs that cannot make one run are refused.

The inputs are cut from a real single run of three variants (fixtures/results.json), one
run directory per variant, as the jobs of a CI matrix write them."""

from __future__ import annotations

import copy
import json

import pytest

from engine import cli
from engine.report import run_dir, writer
from engine.report.merge import MergeRefused, comparable, merge_runs
from engine.report.run_dir import load_results
from tests.report.real_part import FIXTURE, real_part

VARIANTS = ("bnb-nf4", "hqq-3bit-g64", "hqq-4bit-g64")


def job(tmp_path, variant: str, change=None):
    """The run directory of a job that judged `variant` alone; `change` edits its part first."""
    part = copy.deepcopy(real_part(variant))
    if change:
        change(part)
    run = tmp_path / "jobs" / f"{variant}-{len(list(tmp_path.glob('jobs/*')))}"
    # What a job's `finish` writes, but for summary.md and report.html, which merge never reads.
    run_dir.write_results(run, json.loads(run_dir.strict_json(writer.merge(run.name, [part]))))
    return run


def jobs(tmp_path) -> list:
    return [job(tmp_path, v) for v in VARIANTS]


def single_run() -> dict:
    return comparable(json.loads(FIXTURE.read_text()) | {"results_version": run_dir.RESULTS_VERSION})


def test_the_jobs_of_a_spec_merge_into_what_one_run_wrote(tmp_path):
    inputs = jobs(tmp_path)
    directory, results = merge_runs(inputs, tmp_path / "reports")
    assert load_results(directory) == results
    assert comparable(results) == single_run()
    assert [m["directory"] for m in results["merged_from"]] == [str(r) for r in inputs]
    assert (tmp_path / "reports" / "latest").resolve() == directory.resolve()


def test_the_order_of_the_inputs_and_a_repeated_input_change_nothing(tmp_path):
    inputs = jobs(tmp_path)
    _, results = merge_runs(inputs[::-1] + inputs[:1], tmp_path / "reports")
    assert comparable(results) == single_run()


def test_where_and_when_a_job_ran_may_differ(tmp_path):
    def elsewhere(part):
        part["spec"]["file"] = "/other/checkout/spec.toml"
        for entry in part["models"].values():
            entry["seconds"] = entry["seconds"] * 3
            entry["cache_hits"] = 0
            entry["model"]["path"] = "/other/cache/models/x"
        for check in part["spec"]["checks"].values():
            check["dataset"]["source"] = "/other/site-packages/data"

    inputs = jobs(tmp_path)[:2] + [job(tmp_path, VARIANTS[2], elsewhere)]
    _, results = merge_runs(inputs, tmp_path / "reports")
    assert comparable(results) == single_run()


def _refused(tmp_path, inputs, message: str) -> None:
    with pytest.raises(MergeRefused, match=message):
        merge_runs(inputs, tmp_path / "reports")
    assert not (tmp_path / "reports").exists(), "a refused merge writes nothing"


def test_runs_of_another_spec_file_are_refused(tmp_path):
    def edited(part):
        part["spec"]["sha256"] = "f" * 64

    inputs = jobs(tmp_path)[:2] + [job(tmp_path, VARIANTS[2], edited)]
    _refused(tmp_path, inputs, r"ran a spec file with sha256 73a306ce2676, .* one with ffffffffffff")


def test_runs_on_other_data_are_refused(tmp_path):
    def other_data(part):
        part["spec"]["checks"]["stereoset.ss"]["dataset"]["content_sha256"] = "0" * 64

    inputs = jobs(tmp_path)[:2] + [job(tmp_path, VARIANTS[2], other_data)]
    _refused(tmp_path, inputs, r"differ at checks\.stereoset\.ss\.dataset\.content_sha256; the same spec file")


def test_a_different_baseline_is_refused(tmp_path):
    def other_baseline(part):
        part["models"]["baseline"]["model"]["identity"] = "e" * 64

    inputs = jobs(tmp_path)[:2] + [job(tmp_path, VARIANTS[2], other_baseline)]
    _refused(tmp_path, inputs, "the baseline of .* is model identity de56f3ba1de0, that of .* eeeeeeeeeeee")


def test_a_baseline_scored_differently_is_refused(tmp_path):
    def drifted(part):
        values = part["models"]["baseline"]["checks"]["stereoset.ss"]["values"]
        values["gender"]["value"] += 1e-9

    inputs = jobs(tmp_path)[:2] + [job(tmp_path, VARIANTS[2], drifted)]
    _refused(tmp_path, inputs, r"baseline: .* differ at checks\.stereoset\.ss\.values\.gender\.value")


def test_a_variant_judged_twice_with_different_results_is_refused(tmp_path):
    def flipped(part):
        part["verdicts"][0]["passed"] = not part["verdicts"][0]["passed"]

    inputs = jobs(tmp_path) + [job(tmp_path, VARIANTS[0], flipped)]
    _refused(tmp_path, inputs, r"variant 'bnb-nf4': .* differ at verdicts\[0\]\.passed; both judged it")


def test_a_missing_variant_is_refused_and_named(tmp_path):
    _refused(tmp_path, jobs(tmp_path)[::2], r"no run directory given judged variant\(s\) hqq-3bit-g64")


def test_the_command_line_merges_and_refuses(tmp_path, capsys):
    inputs = [str(r) for r in jobs(tmp_path)]
    failed = single_run()["totals"]["failed"]
    assert cli.main(["merge", *inputs, "--reports", str(tmp_path / "reports")]) == (1 if failed else 0)
    assert f"{failed} failed" in capsys.readouterr().out
    assert cli.main(["merge", inputs[0], str(tmp_path / "nothing"), "--reports", str(tmp_path / "r")]) == 2
    assert "nothing/results.json: no such file" in capsys.readouterr().err

