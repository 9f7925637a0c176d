"""The report's confidence figures: a reliability diagram per variant and the shift by the
baseline's confidence, drawn from the answer distributions results.json keeps per item."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from xml.etree import ElementTree

import numpy as np

from engine.report import confidence_figures
from engine.report.html import render_report
from tests.report.test_html_report import FIXTURE, SPEC, Page

METRIC = "bbq.js_divergence"


def items(rng, reference=None, n=30) -> list[dict]:
    out = []
    for i in range(n):
        p = rng.dirichlet([1.0, 1.0, 1.0]).tolist()
        q = p if reference is None else reference[i]["p"]
        out.append({"id": str(i), "p": p, "gold": i % 3, "answer": int(np.argmax(p)), "reference_p": q,
                    "reference_answer": int(np.argmax(q)), "bins": 5})
    return out


def with_confidence_check() -> dict:
    results = json.loads(Path(FIXTURE).read_text())
    spec = results["specs"][SPEC]
    first = next(iter(spec["checks"]))
    spec["checks"][METRIC] = {**copy.deepcopy(spec["checks"][first]), "dataset": {**spec["checks"][first]["dataset"], "name": "bbq"}}
    rng = np.random.default_rng(0)
    baseline = items(rng)
    for label in spec["models"]:
        records = baseline if label == "baseline" else items(rng, baseline)
        spec["models"][label]["checks"][METRIC] = {"values": {}, "examples": records}
    spec["verdicts"] += [{**v, "metric": METRIC} for v in spec["verdicts"] if v["metric"] == first]
    return results


def test_one_section_per_data_set_with_both_figures():
    page = Page(render_report(with_confidence_check()))
    sections = [e for e in page.elements if e[0] == "section" and "confidence" in e[1].get("class", "")]
    assert [s[1]["data-dataset"] for s in sections] == ["bbq"]
    figures = [e[1]["class"] for e in page.elements if e[0] == "figure"]
    assert figures.count("reliability-plot") == 1 and figures.count("shift-plot") == 1


def test_reliability_has_a_panel_per_variant_and_valid_svg():
    spec = with_confidence_check()["specs"][SPEC]
    assert confidence_figures.confidence_checks(spec) == {"bbq": METRIC}
    for draw in (confidence_figures.reliability_figure, confidence_figures.shift_figure):
        svg = ElementTree.fromstring(draw(spec, METRIC))
        axes = [g for g in svg.iter("{http://www.w3.org/2000/svg}g") if g.get("id", "").startswith("axes_")]
        expected = len(spec["spec"]["variants"]) if draw is confidence_figures.reliability_figure else 2
        assert len(axes) == expected


def test_the_baseline_curve_uses_equal_mass_bins():
    rng = np.random.default_rng(1)
    conf, acc = confidence_figures._curve(items(rng, n=10), bins=5)  # 5 bins of 2 items
    assert len(conf) == 5 and np.all(np.diff(conf) >= 0)
    assert set(np.round(acc * 2).tolist()) <= {0.0, 1.0, 2.0}


def test_a_spec_without_confidence_checks_has_no_section():
    results = json.loads(Path(FIXTURE).read_text())
    assert confidence_figures.confidence_checks(results["specs"][SPEC]) == {}
    assert 'class="confidence"' not in render_report(results)


def test_bins_are_the_checks_or_for_older_results_the_items():
    spec = with_confidence_check()["specs"][SPEC]
    assert confidence_figures._bins(spec, METRIC) == 5  # written while records carried bins
    for label in spec["models"]:
        for item in spec["models"][label]["checks"][METRIC]["examples"]:
            del item["bins"]
    assert confidence_figures._bins(spec, METRIC) == confidence_figures.DEFAULT_BINS
    spec["spec"]["checks"].append({"metric": METRIC, "bins": 3})
    assert confidence_figures._bins(spec, METRIC) == 3
