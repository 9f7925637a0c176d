"""A spec's checks prepared for scoring: samples, options, warnings, and scores shared by metrics."""

from __future__ import annotations

import dataclasses

from engine.datasets.base import Example
from engine.evaluation import evaluate_model
from engine.metrics.crows_pairs import PairRecord
from engine.metrics.registry import get_metric
from engine.run import GateRun
from engine.store import ResultStore
from tests.datasets.test_crows_pairs_data import write_csv
from tests.helpers import builtin_gate_run, plan_for


def gate_run(tmp_path, checks: str) -> GateRun:
    return builtin_gate_run(tmp_path, checks)


def test_subgroups_smaller_than_the_cap_are_warned_about(tmp_path):
    groups = ["age"] * 5 + ["gender"] * 2
    rows = [
        {"": str(i), "sent_more": "a", "sent_less": "b", "stereo_antistereo": "stereo", "bias_type": g}
        for i, g in enumerate(groups)
    ]
    write_csv(tmp_path / "pairs.csv", rows)
    run = gate_run(
        tmp_path,
        """
        [[checks]]
        metric = "crows_pairs.stereotype_score"
        data = { path = "pairs.csv" }
        max_examples = 3
        tolerance = 0.1
        """,
    )
    (check,) = run.checks
    assert len(check.examples) == 5
    assert check.warnings == [
        "crows_pairs.stereotype_score / gender: only 2 examples, fewer than max_examples = 3"
    ]


def test_no_warning_without_a_cap_and_default_options(tmp_path):
    run = gate_run(
        tmp_path,
        """
        [[checks]]
        metric = "crows_pairs.stereotype_score"
        tolerance = 0.1
        """,
    )
    (check,) = run.checks
    assert check.warnings == [] and check.options.normalization is None


def test_metrics_reading_the_same_scores_score_them_once(tiny_checkpoint, tmp_path):
    metric = get_metric("crows_pairs.stereotype_score")
    calls = []

    def counting(lm, examples, options, progress=None) -> list[PairRecord]:
        calls.append(len(examples))
        return metric.score(lm, examples, options, progress)

    first = dataclasses.replace(metric, name="first", score=counting)
    second = dataclasses.replace(metric, name="second", score=counting)
    examples = [Example("0", "age", {"sent_more": "The poor are old.", "sent_less": "The rich are old."})]
    evaluation = evaluate_model(
        plan_for(tiny_checkpoint),
        [(first, examples, first.options(None)), (second, examples, second.options(None))],
        ResultStore(tmp_path / "store"),
    )
    assert calls == [1]
    assert evaluation.records["first"] == evaluation.records["second"]
