"""The three decision rules through the pytest plugin, on constructed paired outcomes
(`tests/constructed.py`: a clear regression, noise, a clear equivalence), tolerance 0.08."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import engine.run
from tests.constructed import CASES, constructed_evaluation, spec_text, write_pairs

# The repository's conftest registers the plugin only where its entry point did not.
ROOT_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"
EXPECTED_PASSES = {
    "point": {"religion"},
    "significant": {"age", "religion"},
    "equivalent": {"religion"},
}


@pytest.fixture
def project(compiled_modules_imported, pytester, tmp_path, monkeypatch):
    monkeypatch.setattr(engine.run, "evaluate_model", constructed_evaluation)
    pytester.makeconftest(ROOT_CONFTEST.read_text())
    (pytester.path / "fairness_tests").mkdir()
    (pytester.path / "fairness_tests" / "test_specs.py").write_text('"""sentinel"""\n')
    specs = pytester.path / "specs"
    specs.mkdir()
    write_pairs(specs / "pairs.csv")
    for rule in EXPECTED_PASSES:
        (specs / f"{rule}.toml").write_text(spec_text(rule, f'rule = "{rule}"'))
    return pytester


def run_gate(project, cache):
    result = project.runpytest("fairness_tests/", f"--fairgate-cache={cache}", "-p", "no:cacheprovider", "-v")
    results = json.loads((project.path / "reports" / "latest" / "results.json").read_text())
    return result, results


def test_each_rule_gives_the_expected_verdicts(project, tmp_path):
    result, results = run_gate(project, tmp_path / "cache")
    for rule, passing in EXPECTED_PASSES.items():
        verdicts = {v["subgroup"]: v for v in results["specs"][rule]["verdicts"]}
        assert {g for g, v in verdicts.items() if v["passed"]} == passing, rule
        for group in CASES:
            result.stdout.fnmatch_lines(
                [f"*::{rule}::v::crows_pairs.stereotype_score::{group} "
                 f"{'PASSED' if group in passing else 'FAILED'}*"]
            )
    result.assert_outcomes(passed=4, failed=8, warnings=3)
    # The noisy subgroup's failure under `equivalent` says why, with the interval.
    result.stdout.fnmatch_lines(
        [
            "v / crows_pairs.stereotype_score / age: worsening +0.100 (95% CI [[]*]; "
            "baseline 0.500 -> 0.600, n=20, distance from 0.5 is worse), tolerance 0.080, rule "
            "equivalent; flips 0->1: 2, 1->0: 0 (McNemar p=0.5)",
            "  - not shown to be within the tolerance: the interval's upper end * is above 0.080",
            "  - `equivalent` needs a subgroup that can resolve the tolerance: *",
        ]
    )
    # The regression is significant; the noise is not, but its lack of power is said.
    significant = {v["subgroup"]: v for v in results["specs"]["significant"]["verdicts"]}
    assert significant["gender"]["worsening_interval"][0] > 0.08
    assert significant["age"]["worsening_interval"][0] < 0.08 < significant["age"]["worsening"]
    assert significant["age"]["warnings"] and not significant["religion"]["warnings"]
    result.stdout.fnmatch_lines(
        [
            "fairness_tests/test_specs.py::significant::v::crows_pairs.stereotype_score::age",
            "*LowPowerWarning: v / crows_pairs.stereotype_score / age: this subgroup cannot support*",
        ]
    )
    summary = (project.path / "reports" / "latest" / "summary.md").read_text()
    # Passes are counted, not listed; the warned subgroup is named with its warning.
    assert "age: this subgroup cannot support the tolerance" in summary
    assert "this subgroup cannot support the tolerance" in summary


def test_repeated_runs_give_identical_verdicts(project, tmp_path):
    _, first = run_gate(project, tmp_path / "one")
    _, second = run_gate(project, tmp_path / "two")
    for rule in EXPECTED_PASSES:
        assert first["specs"][rule]["verdicts"] == second["specs"][rule]["verdicts"]
