"""One run as both shells drive it: spec files in, one part per judged variant, the report out."""

from __future__ import annotations

import json

import pytest

import engine.run
from engine.run_context import RunContext, UnreadableSpec
from engine.spec.loader import SpecError
from tests.constructed import constructed_evaluation, spec_text, write_pairs


@pytest.fixture
def specs(tmp_path, monkeypatch):
    monkeypatch.setattr(engine.run, "evaluate_model", constructed_evaluation)
    write_pairs(tmp_path / "pairs.csv")

    def write(file: str, name: str) -> str:
        path = tmp_path / f"{file}.toml"
        path.write_text(spec_text(name))
        return str(path)

    return write


def context(tmp_path, paths, run_id=None) -> RunContext:
    return RunContext(paths, tmp_path / "reports", tmp_path / "cache", run_id)


def test_unreadable_specs_and_reused_names_are_told_apart_from_the_gated(specs, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "broken"\n')
    paths = [specs("a", "demo"), str(broken), specs("b", "demo")]
    first, unreadable, reused = context(tmp_path, paths).gates()
    assert first.spec.name == "demo" and str(first.loaded.path) == paths[0]
    assert isinstance(unreadable, UnreadableSpec) and isinstance(unreadable.error, SpecError)
    assert isinstance(reused, UnreadableSpec)
    assert str(reused.error) == f"{paths[2]}: spec name 'demo' is also used by {paths[0]}"


def test_a_judged_variant_is_written_as_its_part_and_finished_into_the_report(specs, tmp_path):
    run = context(tmp_path, [specs("a", "demo")], run_id="r1")
    (gate,) = run.gates()
    outcome = run.judge(gate, "v", selected={("crows_pairs.stereotype_score", "gender")})
    assert [(v.metric, v.subgroup) for v in outcome.verdicts] == [("crows_pairs.stereotype_score", "gender")]
    part = json.loads((tmp_path / "reports" / "r1" / "parts" / "demo--v.json").read_text())
    assert [v["subgroup"] for v in part["verdicts"]] == ["gender"]
    assert set(part["models"]) == {"baseline", "v"}
    results = run.finish()
    assert results["run_id"] == "r1" and results["totals"] == {"verdicts": 1, "passed": 0, "failed": 1}
    assert (tmp_path / "reports" / "latest" / "results.json").is_file()


def test_every_verdict_is_kept_unless_a_selection_is_given(specs, tmp_path):
    run = context(tmp_path, [specs("a", "demo")])
    (gate,) = run.gates()
    assert {v.subgroup for v in run.judge(gate, "v").verdicts} == {"age", "gender", "religion", "overall"}


def test_workers_sharing_a_run_id_write_into_one_directory(specs, tmp_path):
    controller = context(tmp_path, [specs("a", "demo")])
    worker = context(tmp_path, controller.spec_paths, controller.directory.name)
    assert worker.directory == controller.directory
    (gate,) = worker.gates()
    worker.judge(gate, "v")
    assert controller.finish()["totals"]["verdicts"] == 4


def test_a_run_that_judged_nothing_finishes_without_a_report(tmp_path):
    run = context(tmp_path, [])
    assert run.finish() is None
    assert not (tmp_path / "reports").exists()
