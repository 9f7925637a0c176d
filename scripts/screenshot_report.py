"""Open a run's report.html in headless Chromium, check that it rendered, save a screenshot.

    python scripts/screenshot_report.py reports/latest [--output report.png]

Prints each figure's rendered size and the pixels of each verdict color in the screenshot;
exits 1 if a figure is broken (zero size, or an image that did not decode) or no verdict
cell was drawn, 2 if Chromium is missing (Debian/Ubuntu: `apt-get install -y chromium`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.report import browser


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="a run directory or its report.html")
    parser.add_argument("--output", type=Path, default=None, help="the PNG (default: next to the report)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1600)
    args = parser.parse_args(argv)
    report = args.report / "report.html" if args.report.is_dir() else args.report
    if not report.is_file():
        print(f"{report}: no such report (run `fairgate run SPEC` or `fairgate report RUN_DIR`)", file=sys.stderr)
        return 2
    chromium = browser.find_chromium()
    if chromium is None:
        print("no Chromium on PATH: apt-get install -y chromium", file=sys.stderr)
        return 2
    figures = browser.measure_figures(chromium, report.resolve())
    for f in figures:
        print(f"{f.tag} {f.width:.0f}x{f.height:.0f}{' BROKEN' if f.broken else ''}")
    target = args.output or report.with_name("report.png")
    browser.screenshot(chromium, report.resolve(), target.resolve(), args.width, args.height)
    pixels = browser.verdict_pixels(target)
    print(f"screenshot {target}: verdict-color pixels {pixels}")
    broken = sum(f.broken for f in figures)
    if broken or not figures or not any(pixels.values()):
        print(f"{report}: {broken} broken of {len(figures)} figures; verdict cells drawn: {any(pixels.values())}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
