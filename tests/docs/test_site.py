"""The documentation site builds with warnings as errors, and README.md's links reach it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from markdown.extensions.toc import slugify

from tests.docs.blocks import ROOT, fenced_blocks

# Relative links of the README: [text](target) with no scheme.
LINK = re.compile(r"\]\((?![a-z]+:)([^)#\s]*)(?:#([^)\s]*))?\)")


def build(config: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config), "--site-dir", str(site)],
        capture_output=True,
        text=True,
        # mkdocs-material's banner about its successor is not a build warning.
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


def test_site_builds_without_a_warning(tmp_path):
    done = build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    assert (tmp_path / "site" / "metrics" / "crows-pairs" / "index.html").is_file()


def test_a_broken_link_fails_the_build(tmp_path):
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    with (tmp_path / "docs" / "cache.md").open("a") as page:
        page.write("\nSee [the timings](timings.md#no-such-heading).\n")
    done = build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert done.returncode != 0
    assert "does not contain an anchor '#no-such-heading'" in done.stderr


def headings(path: Path) -> set[str]:
    code = {n for b in fenced_blocks(path) for n in range(b.line, b.line + b.text.count("\n") + 2)}
    lines = path.read_text(encoding="utf-8").splitlines()
    return {
        slugify(line.lstrip("#").strip(), "-")
        for n, line in enumerate(lines, 1)
        if line.startswith("#") and n not in code
    }


def test_readme_links_reach_pages_and_headings():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = LINK.findall(readme)
    assert len(links) >= 10
    for target, anchor in links:
        page = ROOT / target
        assert page.is_file(), target
        if anchor:
            assert anchor in headings(page), f"{target}#{anchor}"
