"""Where each key of a TOML document stands (line and column), for located error messages.

tomllib returns plain dicts without positions, and no maintained TOML parser exposes them,
so this scanner reads the source once more and records the position of every table header
and key, including keys inside inline tables. It only has to be right for documents that
tomllib already accepted.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

Path = tuple  # a key path: strings for keys, ints for array-of-tables indices

_BARE = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


class _Cursor:
    def __init__(self, text: str, line: int, offset: int = 0) -> None:
        self.text = text
        self.line = line
        self.i = offset

    def skip_space(self) -> None:
        while self.i < len(self.text) and self.text[self.i] in " \t":
            self.i += 1

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def key(self) -> list[tuple[str, int]]:
        """A dotted key, each part with its column."""
        parts = []
        while True:
            self.skip_space()
            col = self.i + 1
            ch = self.peek()
            if ch in "\"'":
                start = self.i
                self.skip_string()
                try:  # tomllib decodes the escapes of a quoted key exactly as it did for the data
                    parts.append((tomllib.loads(f"k = {self.text[start:self.i]}")["k"], col))
                except tomllib.TOMLDecodeError:
                    return parts
            else:
                m = _BARE.match(self.text, self.i)
                if not m:
                    return parts
                parts.append((m.group(0), col))
                self.i = m.end()
            self.skip_space()
            if self.peek() != ".":
                return parts
            self.i += 1

    def skip_string(self) -> None:
        quote = self.peek()
        self.i += 1
        while self.i < len(self.text):
            ch = self.text[self.i]
            if ch == "\\" and quote == '"':
                self.i += 2
                continue
            self.i += 1
            if ch == quote:
                return


def locate_keys(source: str) -> dict[Path, Position]:
    """Map every key path in `source` to the position of its key (or table header)."""
    positions: dict[Path, Position] = {}
    array_counts: dict[Path, int] = {}
    table: Path = ()
    lines = source.splitlines()
    n = 0
    while n < len(lines):
        raw = lines[n]
        lineno = n + 1
        n += 1
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip())
        if stripped.startswith("[["):
            cur = _Cursor(raw, lineno, indent + 2)
            path = _resolve(tuple(p for p, _ in cur.key()), array_counts)
            index = array_counts.get(path, -1) + 1
            array_counts[path] = index
            table = path + (index,)
            positions.setdefault(path, Position(lineno, indent + 1))
            positions[table] = Position(lineno, indent + 1)
            continue
        if stripped.startswith("["):
            cur = _Cursor(raw, lineno, indent + 1)
            table = _resolve(tuple(p for p, _ in cur.key()), array_counts)
            positions[table] = Position(lineno, indent + 1)
            continue
        cur = _Cursor(raw, lineno, indent)
        n = _key_value(cur, table, positions, lines, n)
    return positions


def _resolve(parts: Path, array_counts: dict[Path, int]) -> Path:
    """A header's key path: every parent that is an array of tables means its last element."""
    out: Path = ()
    for i, part in enumerate(parts):
        out = out + (part,)
        if i < len(parts) - 1 and out in array_counts:
            out = out + (array_counts[out],)
    return out


def _key_value(cur: _Cursor, table: Path, positions: dict, lines: list[str], n: int) -> int:
    parts = cur.key()
    if not parts:
        return n
    path = table
    for name, col in parts:
        path = path + (name,)
        positions.setdefault(path, Position(cur.line, col))
    cur.skip_space()
    if cur.peek() != "=":
        return n
    cur.i += 1
    cur.skip_space()
    return _value(cur, path, positions, lines, n)


def _value(cur: _Cursor, path: Path, positions: dict, lines: list[str], n: int) -> int:
    """Skip one value, recording keys of inline tables; returns the next line index."""
    ch = cur.peek()
    if cur.text.startswith(('"""', "'''"), cur.i):
        quote = cur.text[cur.i : cur.i + 3]
        end = _closing(cur.text, cur.i + 3, quote)
        while end < 0 and n < len(lines):
            cur.text, cur.i, cur.line = lines[n], 0, n + 1
            n += 1
            end = _closing(cur.text, 0, quote)
        cur.i = len(cur.text) if end < 0 else end + 3
        return n
    if ch in "\"'":
        cur.skip_string()
        return n
    if ch == "{":
        cur.i += 1
        while True:
            cur.skip_space()
            if cur.peek() in ("}", ""):
                cur.i += 1
                return n
            if cur.peek() == ",":
                cur.i += 1
                continue
            before = (cur.line, cur.i)
            n = _key_value(cur, path, positions, lines, n)
            if (cur.line, cur.i) == before:  # not a key: stop rather than loop
                return n
    if ch == "[":
        cur.i += 1
        index = 0
        while True:
            cur.skip_space()
            ch = cur.peek()
            if ch == "":
                if n >= len(lines):
                    return n
                cur.text, cur.i, cur.line = lines[n], 0, n + 1
                n += 1
                continue
            if ch == "#":
                cur.i = len(cur.text)
                continue
            if ch == "]":
                cur.i += 1
                return n
            if ch == ",":
                cur.i += 1
                index += 1
                continue
            positions.setdefault(path + (index,), Position(cur.line, cur.i + 1))
            n = _value(cur, path + (index,), positions, lines, n)
    while cur.i < len(cur.text) and cur.text[cur.i] not in ",}]#":
        cur.i += 1
    return n


def _closing(text: str, start: int, quote: str) -> int:
    """Where a multi-line string's closing quotes start on this line (-1: not here)."""
    i = start
    while i < len(text):
        if quote == '"""' and text[i] == "\\":
            i += 2  # an escaped character, possibly a quote, never closes a basic string
            continue
        if text.startswith(quote, i):
            return i
        i += 1
    return -1


def format_path(path: Path) -> str:
    """A key path as written in messages: `variants[0].quantization.bits`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def nearest_position(positions: dict[Path, Position], path: Path) -> tuple[Position | None, Path]:
    """The position of `path`, else of its closest recorded parent (and which path that was)."""
    for end in range(len(path), 0, -1):
        if path[:end] in positions:
            return positions[path[:end]], path[:end]
    return None, ()
