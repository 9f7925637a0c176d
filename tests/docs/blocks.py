"""The fenced code blocks of README.md and docs/*.md, and the commands in their shell blocks."""

from __future__ import annotations

import re
import shlex
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# docs/spec.md is generated; tests/spec/test_docs.py loads its TOML examples as fragments.
GENERATED = ROOT / "docs" / "spec.md"
TEMPLATE = ROOT / "docs" / "spec.template.md"
SHELL_LANGUAGES = ("sh", "bash", "console")
# A TOML block that is not a whole spec says so in its info string, which the site shows as
# the block's title and GitHub ignores.
FRAGMENT = 'title="fragment of a spec"'
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,})(?P<info>[^`]*)$")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    language: str
    info: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def pages() -> list[Path]:
    docs = sorted(p for p in (ROOT / "docs").rglob("*.md") if p != TEMPLATE)
    return [ROOT / "README.md", *docs]


def fenced_blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, info = opening["fence"], opening["info"].strip()
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == fence)
        text = textwrap.dedent("\n".join(lines[i + 1 : end])) + "\n"
        blocks.append(Block(path, i + 1, info.split(" ", 1)[0], info, text))
        i = end + 1
    return blocks


def all_blocks(language: str | tuple[str, ...]) -> list[Block]:
    languages = (language,) if isinstance(language, str) else language
    return [b for path in pages() for b in fenced_blocks(path) if b.language in languages]


@dataclass(frozen=True)
class Command:
    block: Block
    words: list[str]
    redirect: str | None  # the file a `>` sends stdout to
    output: str | None  # a console block's expected output of this command


def commands(block: Block) -> list[Command]:
    """A shell block's commands: every line of an sh block, the `$ ` lines of a console
    block (the lines up to the next `$ ` are its output). Comments are dropped."""
    found: list[Command] = []
    lines = block.text.splitlines()
    for n, line in enumerate(lines):
        if block.language == "console":
            if not line.startswith("$ "):
                continue
            rest = lines[n + 1 :]
            stop = next((k for k, later in enumerate(rest) if later.startswith("$ ")), len(rest))
            output = "\n".join(rest[:stop]).strip("\n")
            line = line[2:]
        else:
            output = None
        words = shlex.split(line, comments=True)
        if not words:
            continue
        redirect = None
        if ">" in words:
            at = words.index(">")
            words, redirect = words[:at], words[at + 1]
        found.append(Command(block, words, redirect, output or None))
    return found
