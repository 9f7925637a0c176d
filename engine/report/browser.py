"""Open a report.html in headless Chromium: measure its figures and take a screenshot.

Two checks, both on what a browser actually drew:
- figures: a copy of the page gets a small script, run after load, that writes for every
  <svg> and <img> its rendered width and height (and for an <img> whether it decoded) into
  an element; `chromium --dump-dom` prints the DOM after load, and the sizes are read back
  from it. A figure of zero size or an undecoded image is broken. The report itself holds
  no script: the check is added to a copy only.
- screenshot: `chromium --screenshot` of the page at a given window size; the PNG is read
  with Pillow and the pixels of the verdict colors (fail, warn, pass cells) counted, so a
  blank or unstyled page is told from a rendered one.

Debian and Ubuntu ship Chromium as the `chromium` package (`apt-get install -y chromium`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

CHROMIUM_NAMES = ("chromium", "chromium-browser")
# The cell backgrounds of report.html.j2's stylesheet.
VERDICT_COLORS = {"fail": (0xF8, 0xD7, 0xD3), "warn": (0xFD, 0xF0, 0xC8), "pass": (0xDC, 0xF1, 0xE2)}
# --no-sandbox: containers and CI runners usually run as root, where the sandbox refuses to start.
_HEADLESS = ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars")
_TIMEOUT_SECONDS = 120
_MEASURE = """
<script>
addEventListener("load", () => {
  const figures = [...document.querySelectorAll("svg, img")].map((e) => {
    const box = e.getBoundingClientRect();
    const decoded = e.tagName.toLowerCase() !== "img" || (e.complete && e.naturalWidth > 0);
    return {tag: e.tagName.toLowerCase(), width: box.width, height: box.height, decoded};
  });
  const out = document.createElement("pre");
  out.id = "fairgate-figures";
  out.textContent = JSON.stringify(figures);
  document.body.append(out);
});
</script>
"""
_MEASURED = re.compile(r'<pre id="fairgate-figures">(.*?)</pre>', re.S)


class BrowserError(RuntimeError):
    pass


@dataclass(frozen=True)
class Figure:
    tag: str
    width: float
    height: float
    decoded: bool

    @property
    def broken(self) -> bool:
        return not self.decoded or self.width <= 0 or self.height <= 0


def find_chromium() -> str | None:
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def _chromium(chromium: str, *arguments: str) -> str:
    with tempfile.TemporaryDirectory() as profile:  # a fresh profile: no user state, no lock
        done = subprocess.run(
            [chromium, *_HEADLESS, f"--user-data-dir={profile}", *arguments],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_SECONDS,
        )
    if done.returncode != 0:
        raise BrowserError(f"{chromium} exited with {done.returncode}: {done.stderr.strip()[-2000:]}")
    return done.stdout


def measure_figures(chromium: str, report: Path) -> list[Figure]:
    """The rendered size of every <svg> and <img> of the page, in document order."""
    html = report.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as directory:
        measured = Path(directory) / report.name
        measured.write_text(html.replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
        dom = _chromium(chromium, "--virtual-time-budget=10000", "--dump-dom", measured.as_uri())
    found = _MEASURED.search(dom)
    if found is None:
        raise BrowserError(f"{report}: the page did not finish loading in headless Chromium")
    # textContent is HTML-escaped in the dump; the JSON holds only tags, numbers and booleans.
    return [Figure(**f) for f in json.loads(found.group(1).replace("&quot;", '"'))]


def screenshot(chromium: str, report: Path, target: Path, width: int = 1280, height: int = 1600) -> Path:
    _chromium(chromium, f"--screenshot={target}", f"--window-size={width},{height}", report.as_uri())
    if not target.is_file():
        raise BrowserError(f"{chromium} wrote no screenshot to {target}")
    return target


def verdict_pixels(png: Path) -> dict[str, int]:
    """How many pixels of the screenshot have each verdict cell's background color."""
    with Image.open(png) as image:
        counts = dict((color, n) for n, color in image.convert("RGB").getcolors(maxcolors=1 << 24))
    return {status: counts.get(rgb, 0) for status, rgb in VERDICT_COLORS.items()}
