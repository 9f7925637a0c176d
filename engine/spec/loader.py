"""Read a spec file: TOML, then structure (pydantic), then cross-references; every problem located."""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from engine.spec.checks import cross_check, did_you_mean
from engine.spec.locate import Position, format_path, locate_keys, nearest_position
from engine.spec.models import Spec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True)
class Problem:
    file: Path
    position: Position | None
    path: tuple
    message: str

    def __str__(self) -> str:
        where = str(self.file)
        if self.position:
            where += f":{self.position.line}:{self.position.column}"
        key = format_path(self.path)
        return f"{where}: {key + ': ' if key else ''}{self.message}"


class SpecError(ValueError):
    def __init__(self, file: Path, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        lines = [f"invalid spec {file} ({len(problems)} {noun}):"]
        lines += [f"  {p}" for p in problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class LoadedSpec:
    spec: Spec
    path: Path
    sha256: str

    @property
    def directory(self) -> Path:
        return self.path.parent


def load_spec(file: str | Path) -> LoadedSpec:
    file = Path(file)
    try:
        raw = file.read_bytes()
    except OSError as e:
        problem = Problem(file, None, (), f"cannot read the file: {e.strerror}")
        raise SpecError(file, [problem]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SpecError(file, [Problem(file, None, (), f"not UTF-8 text: {e}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(file, [_toml_problem(file, e, text)]) from None
    positions = locate_keys(text)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as e:
        problems = [_pydantic_problem(file, positions, data, err) for err in e.errors()]
        raise SpecError(file, problems) from None
    cross = cross_check(spec, file.parent)
    if cross:
        raise located_error(file, cross, positions)
    return LoadedSpec(spec, file.resolve(), hashlib.sha256(raw).hexdigest())


def located_error(
    file: Path, problems: list[tuple[tuple, str]], positions: dict | None = None
) -> SpecError:
    """A SpecError for (key path, message) pairs, each placed at its line in `file`."""
    if positions is None:
        positions = locate_keys(Path(file).read_text(encoding="utf-8"))
    return SpecError(file, [_located(file, positions, path, msg) for path, msg in problems])


def _located(file: Path, positions: dict, path: tuple, message: str) -> Problem:
    position, _ = nearest_position(positions, path)
    # Nothing of the path is in the document (a missing top-level key): the top of the file
    # is where such a key belongs.
    return Problem(file, position or Position(1, 1), path, message)


def _toml_problem(file: Path, error: Exception, text: str) -> Problem:
    message = str(error)
    match = _TOML_POSITION.search(message)
    if match:
        position = Position(int(match.group(1)), int(match.group(2)))
    else:
        # "(at end of document)", e.g. an unterminated string: tomllib gave up at the end.
        last_line = text.rsplit("\n", 1)[-1]
        position = Position(text.count("\n") + 1, len(last_line) + 1)
    message = _TOML_POSITION.sub("", message).replace("(at end of document)", "").strip()
    return Problem(file, position, (), f"not valid TOML: {message}")


def _pydantic_problem(file: Path, positions: dict, data: Any, err: dict) -> Problem:
    kind = err["type"]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        key = err["ctx"]["discriminator"].strip("'")
        path = _data_path(data, err["loc"], keep_missing_last=False) + (key,)
        if kind == "union_tag_not_found":
            message = "required key is missing"
        else:
            found = err["input"][key] if isinstance(err["input"], dict) else err["ctx"]["tag"]
            message = f"expected one of {err['ctx']['expected_tags']} (found {found!r})"
        return _located(file, positions, path, message)
    path = _data_path(data, err["loc"])
    if kind == "extra_forbidden":
        expected = _expected_keys(err["loc"][:-1])
        key = str(path[-1])
        message = f"unknown key {key!r}{did_you_mean(key, expected)}"
        if expected:
            message += f"; expected one of: {', '.join(expected)}"
    elif kind == "missing":
        message = "required key is missing"
    elif kind in _TOML_TYPES:
        message = _wrong_type(_TOML_TYPES[kind], err["input"])
    else:
        message = f"{err['msg']} (found {err['input']!r})"
    return _located(file, positions, path, message)


# pydantic's strict type errors, by the TOML type the key needs.
_TOML_TYPES = {
    "float_type": "a number",
    "int_type": "an integer",
    "bool_type": "a boolean (true or false)",
    "string_type": "a string",
}


def _wrong_type(expected: str, found: Any) -> str:
    shown = str(found).lower() if isinstance(found, bool) else repr(found)  # as TOML writes it
    message = f"expected {expected}, found {_toml_kind(found)} {shown}"
    if isinstance(found, str) and expected != "a string":
        message += ": write the value without quotes"
    return message


def _toml_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "the boolean"
    if isinstance(value, (int, float)):
        return "the number"
    if isinstance(value, str):
        return "the string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"a {type(value).__name__}"


def _data_path(data: Any, loc: tuple, keep_missing_last: bool = True) -> tuple:
    """The error location as keys of the document: union tags that pydantic adds are dropped.

    A last element absent from the document is kept when it is a missing or unknown key.
    """
    path: tuple = ()
    node = data
    for n, part in enumerate(loc):
        last = n == len(loc) - 1
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        elif not (last and keep_missing_last):
            continue
        path += (part,)
    return path


def _expected_keys(loc: tuple) -> list[str]:
    """Field names of the model(s) the location points into, following union tags."""
    candidates: list[Any] = [Spec]
    for part in loc:
        following = []
        for leaf in (leaf for c in candidates for leaf in _leaves(c)):
            if _is_model(leaf):
                if isinstance(part, str) and part in leaf.model_fields:
                    following.append(leaf.model_fields[part].annotation)
                elif any(part in get_args(f.annotation) for f in leaf.model_fields.values()):
                    following.append(leaf)  # `part` is a union tag naming this member
            elif get_origin(leaf) in (list, dict):
                following.append(get_args(leaf)[-1])
        candidates = following
    keys: list[str] = []
    for leaf in (leaf for c in candidates for leaf in _leaves(c)):
        if _is_model(leaf):
            keys += [k for k in leaf.model_fields if k not in keys]
    return keys


def _leaves(annotation: Any) -> list[Any]:
    """The concrete types inside Annotated, Optional and Union."""
    if get_origin(annotation) is Annotated:
        return _leaves(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return [leaf for member in get_args(annotation) for leaf in _leaves(member)]
    return [] if annotation is type(None) else [annotation]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
