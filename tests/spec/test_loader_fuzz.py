"""Random mutations of the valid specs never crash the loader: it returns a spec or raises a
SpecError whose every problem is located and readable.

Mutations act on the text (break the syntax, duplicate or drop lines, insert junk) and on the
parsed document (delete, rename or retype a key, nest a table where a scalar belongs), which
is then written back as TOML. Derandomized and without an example database, so every run
tries the same cases.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.spec.docs import toml_value
from engine.spec.loader import SpecError, load_spec
from tests.spec.test_bad_specs import LEAKS

ROOT = Path(__file__).resolve().parents[2]
VALID_SPECS = sorted((ROOT / "specs").rglob("*.toml"))
SETTINGS = settings(
    derandomize=True,
    database=None,
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = st.one_of(
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63, max_value=2**200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", "builtin:", "../../etc", "\u202e\u0000x", "🙂" * 50, "1e400", "crows_pairs"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
junk_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["[", "]]", "[[variants]]", "[baseline]", "= 1", 'x = """', "x = 1\nx = 2", "{", "\\", "\x00", "\ufeff"]
    ),
)


def spec_texts() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in VALID_SPECS]


def document_to_toml(document: dict) -> str:
    """Every top-level key as `key = value`, tables inline: any document can be written."""
    return "".join(f"{toml_value(k)} = {toml_value(v)}\n" for k, v in document.items())


def paths_in(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            found += paths_in(child, prefix + (key,))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found += paths_in(child, prefix + (i,))
    return found


def parent_of(document: dict, path: tuple) -> Any:
    node: Any = document
    for part in path[:-1]:
        node = node[part]
    return node


@st.composite
def structural_mutations(draw) -> str:
    document = tomllib.loads(draw(st.sampled_from(spec_texts())))
    for _ in range(draw(st.integers(1, 3))):
        paths = paths_in(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = parent_of(document, path), path[-1]
        action = draw(st.sampled_from(["delete", "retype", "rename", "insert", "nest"]))
        if action == "delete":
            del parent[last]
        elif action == "retype":
            parent[last] = draw(values)
        elif action == "nest":
            parent[last] = {draw(st.text(max_size=8)): parent[last]}
        elif isinstance(parent, dict) and action == "rename":
            parent[draw(st.text(max_size=12))] = parent.pop(last)
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = draw(values)
        else:
            parent.append(draw(values))
    return document_to_toml(document)


@st.composite
def textual_mutations(draw) -> str:
    lines = draw(st.sampled_from(spec_texts())).splitlines()
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, max(len(lines) - 1, 0)))
        action = draw(st.sampled_from(["drop", "duplicate", "insert", "truncate", "splice"]))
        if action == "drop" and lines:
            del lines[at]
        elif action == "duplicate" and lines:
            lines.insert(at, lines[at])
        elif action == "insert":
            lines.insert(at, draw(junk_text))
        elif action == "truncate" and lines:
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
        elif lines:
            cut = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:cut] + draw(junk_text) + lines[at][cut:]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "mutated.toml"


def assert_loads_or_is_located(file: Path, text: str) -> None:
    file.write_text(text, encoding="utf-8")
    try:
        load_spec(file)
    except SpecError as error:
        assert error.problems, str(error)
        for problem in error.problems:
            assert problem.file == file
            assert problem.position is not None or problem.path, str(problem)
            assert problem.message.strip()
            for leak in LEAKS:
                assert leak not in problem.message, str(problem)
        assert error.__context__ is None or error.__suppress_context__


def test_the_valid_specs_are_the_seeds():
    assert len(VALID_SPECS) >= 3
    for path in VALID_SPECS:
        load_spec(path)


@SETTINGS
@given(text=structural_mutations())
def test_structural_mutations_give_located_errors(spec_file, text):
    assert_loads_or_is_located(spec_file, text)


@SETTINGS
@given(text=textual_mutations())
def test_textual_mutations_give_located_errors(spec_file, text):
    assert_loads_or_is_located(spec_file, text)
