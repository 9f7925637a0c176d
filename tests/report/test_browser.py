"""The fixture's report opened in a real headless Chromium: every figure is drawn at a
non-zero size, the hostile model output stays text, the screenshot shows the verdict cells."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.report import browser
from engine.report.html import render_report
from tests.report.large import fixture
from tests.report.test_html_report import with_failing_generation

CHROMIUM = browser.find_chromium()
SCRIPT = Path(__file__).parents[2] / "scripts" / "screenshot_report.py"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on PATH (apt-get install -y chromium)"),
]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("run")
    (directory / "report.html").write_text(render_report(with_failing_generation(fixture())), encoding="utf-8")
    return directory


def test_every_figure_is_drawn_and_model_markup_creates_no_element(run):
    figures = browser.measure_figures(CHROMIUM, run / "report.html")
    # Two check figures (one per check) and two trends; the continuation's <img onerror> and
    # <script> are text, so the browser made no <img> of them.
    assert [f.tag for f in figures] == ["svg"] * 4
    assert not [f for f in figures if f.broken]
    assert all(f.width > 300 and f.height > 200 for f in figures)


def test_the_script_screenshots_the_verdict_cells(run):
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(run), "--output", str(run / "shot.png")],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    pixels = browser.verdict_pixels(run / "shot.png")
    # The overview has fail, warn and pass cells; each is at least a 100x20 px cell.
    assert all(n >= 2000 for n in pixels.values()), pixels


def test_a_broken_image_fails_the_script(run, tmp_path):
    page = (run / "report.html").read_text(encoding="utf-8")
    broken = tmp_path / "report.html"
    broken.write_text(page.replace("</body>", '<img src="missing.png" alt="gone"></body>'), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(broken), "--output", str(tmp_path / "shot.png")],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 1
    # Drawn as its alt text, so not of zero size: it is its failed decoding that tells.
    broken_lines = [line for line in done.stdout.splitlines() if line.endswith("BROKEN")]
    assert len(broken_lines) == 1 and broken_lines[0].startswith("img ")
    assert "1 broken of 5 figures" in done.stderr
