"""report.html rendered from a stored results.json (the suite spec's real run, trimmed) and
read back by parsing it: the verdict overview, one figure per check, provenance, escaped
model output, no external references, identical bytes for identical input."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest

from engine.report import plots
from engine.report.html import render_report
from tests.report.large import many_checks

FIXTURE = Path(__file__).parent / "fixtures" / "results.json"
SPEC = "smollm2-135m-suite"
GENERATION = "bold_generation.sentiment"
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
SVG_NS = "{http://www.w3.org/2000/svg}"


class Page(HTMLParser):
    """The elements of a page as (tag, attributes, text inside it), in document order."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[list] = []
        self.open: list[list] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        element = [tag, dict(attrs), ""]
        self.elements.append(element)
        if tag not in ("meta", "br", "img", "input", "link", "hr"):
            self.open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.elements.append([tag, dict(attrs), ""])

    def handle_endtag(self, tag):
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data):
        for element in self.open:
            element[2] += data

    def find(self, tag: str, **attrs) -> list[list]:
        return [e for e in self.elements if e[0] == tag and all(e[1].get(k) == v for k, v in attrs.items())]


@pytest.fixture
def results() -> dict:
    return json.loads(FIXTURE.read_text())


def with_failing_generation(results: dict) -> dict:
    """The fixture with a hostile variant continuation in a failing generation item."""
    hostile = copy.deepcopy(results)
    spec = hostile["specs"][SPEC]
    verdict = next(
        v for v in spec["verdicts"]
        if v["variant"] == "hqq-3bit-g64" and v["metric"] == GENERATION and v["subgroup"] == "overall"
    )
    verdict["passed"] = False
    verdict["reasons"] = ["worsened beyond the tolerance"]
    record = spec["models"]["hqq-3bit-g64"]["checks"][GENERATION]["examples"][0]
    record["continuations"][0]["continuation"] = HOSTILE
    record["continuations"][0]["sentiment"] = -0.99
    return hostile


def overview(page: Page) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """The overview's column headers, row headers and its cells' (variant, metric) in order."""
    columns = [e[2] for e in page.find("th", scope="col")]
    cells = [(c[1]["data-variant"], c[1]["data-metric"]) for c in page.find("td") if "data-status" in c[1]]
    metrics = {metric for _, metric in cells}
    rows = [e[2] for e in page.find("th", scope="row") if e[2] in metrics]  # not the provenance's
    return columns, rows, cells


def test_overview_has_a_row_per_check_and_a_column_per_variant(results):
    columns, rows, cells = overview(Page(render_report(results)))
    variants = ["bnb-nf4", "hqq-3bit-g64", "hqq-4bit-g64"]
    assert columns == ["check", *variants]
    assert rows == ["stereoset.ss", GENERATION]
    assert cells == [(variant, metric) for metric in rows for variant in variants]


def test_a_suite_sized_overview_stays_three_columns_wide(results, monkeypatch):
    # The figures are tested above; drawing 40 of them here would only cost time.
    monkeypatch.setattr(plots, "check_figure", lambda spec, metric: "<svg></svg>")
    monkeypatch.setattr(plots, "trend_figure", lambda spec, metric: ("<svg></svg>", []))
    columns, rows, cells = overview(Page(render_report(many_checks(results, copies=10))))
    assert len(columns) == 1 + 3 and len(rows) == 20 and len(cells) == 20 * 3


def test_overview_cells_name_status_and_worst_subgroup(results):
    page = Page(render_report(results))
    cells = {(c[1]["data-variant"], c[1]["data-metric"]): c for c in page.find("td") if "data-status" in c[1]}
    assert len(cells) == 3 * 2
    assert cells[("hqq-4bit-g64", "stereoset.ss")][1]["data-status"] == "fail"
    assert "gender" in cells[("hqq-4bit-g64", "stereoset.ss")][2]
    # bnb-nf4 passes every stereoset.ss subgroup, but gender is warned about its tolerance
    assert cells[("bnb-nf4", "stereoset.ss")][1]["data-status"] == "warn"
    assert cells[("bnb-nf4", "stereoset.ss")][2].startswith("warn: gender")
    assert cells[("bnb-nf4", GENERATION)][1]["data-status"] == "pass"


def test_each_check_has_one_check_figure_of_valid_svg_and_a_trend(results):
    text = render_report(results)
    page = Page(text)
    checks = page.find("section", **{"class": "check"})
    assert sorted(c[1]["data-metric"] for c in checks) == sorted(["stereoset.ss", GENERATION])
    assert len(page.find("figure", **{"class": "check-plot"})) == len(checks)
    assert len(page.find("figure", **{"class": "trend-plot"})) == len(checks)
    svgs = re.findall(r"<svg.*?</svg>", text, flags=re.DOTALL)
    assert len(svgs) == 2 * len(checks)
    for svg in svgs:
        root = ElementTree.fromstring(svg)
        assert root.tag == f"{SVG_NS}svg"
    # what a figure refers to (clip paths, marker definitions) is defined once on the page,
    # so no figure draws with another one's definition
    defined = re.findall(r'\bid="([^"]+)"', text)
    referenced = set(re.findall(r'(?:url\(#|href="#)([^")]+)', text))
    assert referenced and all(defined.count(i) == 1 for i in referenced)


def test_failing_items_are_marked_in_the_worsening_plot(results):
    svg = plots.check_figure(results["specs"][SPEC], "stereoset.ss")
    texts = ["".join(t.itertext()) for t in ElementTree.fromstring(svg).iter(f"{SVG_NS}text")]
    assert texts.count("FAIL  gender") == 2  # hqq-4bit-g64 and hqq-3bit-g64


def test_trend_leaves_out_a_checkpoint_variant_without_quantization_and_says_so(results):
    spec = results["specs"][SPEC]
    spec["spec"]["variants"].append(
        {"name": "distilled", "model": "hub:someone/distilled", "revision": None,
         "trust_remote_code": False, "dtype": None, "quantization": None}
    )
    spec["models"]["distilled"] = copy.deepcopy(spec["models"]["bnb-nf4"])
    assert plots.bits(spec, "baseline") == 32
    assert plots.bits(spec, "hqq-3bit-g64") == 3
    assert plots.bits(spec, "bnb-nf4") == 4
    _, skipped = plots.trend_figure(spec, "stereoset.ss")
    assert skipped == ["distilled"]
    captions = Page(render_report(results)).find("figcaption")
    assert any("Left out (no bits to place them at): distilled." in c[2] for c in captions)


def test_provenance_names_spec_models_libraries_and_machine(results):
    page = Page(render_report(results))
    spec = results["specs"][SPEC]
    assert page.find("td", **{"data-field": "file"})[0][2] == spec["file"]
    assert page.find("td", **{"data-field": "sha256"})[0][2] == spec["sha256"]
    assert page.find("td", **{"data-field": "seed"})[0][2] == "0"
    rows = {r[1]["data-model"]: r[2] for r in page.find("tr") if "data-model" in r[1]}
    assert set(rows) == {"baseline", "hqq-4bit-g64", "bnb-nf4", "hqq-3bit-g64"}
    for label, text in rows.items():
        model = spec["models"][label]
        assert model["model"]["sha256"] in text and model["model"]["identity"] in text
        assert str(model["cache_hits"]) in text and str(model["model"]["generation"]["tokens_per_second"]) in text
    assert "hqq (nbits=3, group_size=64, axis=1)" in rows["hqq-3bit-g64"]
    assert page.find("td", **{"data-library": "torch"})[0][2] == "2.13.0+cpu"
    assert page.find("td", **{"data-machine": "torch_threads"})[0][2] == "2"


def test_model_output_with_markup_is_shown_as_text(results):
    text = render_report(with_failing_generation(results))
    page = Page(text)
    assert page.find("script") == [] and page.find("img") == []
    cells = [c[2] for c in page.find("td", **{"class": "text"})]
    assert HOSTILE in cells  # the parser turns the escapes back into the text the model wrote
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_no_external_references(results):
    text = render_report(with_failing_generation(results))
    page = Page(text)
    for tag, attrs, _ in page.elements:
        for name in ("src", "href", "xlink:href", "action", "data"):
            assert not re.match(r"\s*(https?:)?//", attrs.get(name) or ""), (tag, name, attrs[name])
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", text)
    assert page.find("link") == [] and page.find("script") == [] and page.find("iframe") == []


def test_identical_results_render_identical_bytes(results):
    assert render_report(results) == render_report(json.loads(FIXTURE.read_text()))


def test_trend_ticks_show_a_gguf_builds_fractional_bits_short(results):
    spec = results["specs"][SPEC]
    spec["spec"]["variants"].append(
        {"name": "gguf-q4_0", "model": None, "revision": None, "trust_remote_code": False,
         "dtype": None, "quantization": None}
    )
    spec["models"]["gguf-q4_0"] = copy.deepcopy(spec["models"]["bnb-nf4"])
    spec["models"]["gguf-q4_0"]["model"]["gguf"] = {"bits_per_weight": 4.507183138997}
    svg, _ = plots.trend_figure(spec, "stereoset.ss")
    texts = ["".join(t.itertext()) for t in ElementTree.fromstring(svg).iter(f"{SVG_NS}text")]
    assert "4.51" in texts and not any("4.507" in t for t in texts)
