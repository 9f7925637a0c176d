"""Broken specs are refused with every problem located at its line and key path.

Each file in `bad/` carries its own expectations as `# expect: LINE PATH :: FRAGMENT` lines
(`-` for no line or no key path), so adding a file adds a case.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.spec.loader import Problem, SpecError, format_path, load_spec

BAD = Path(__file__).parent / "bad"
EXPECT = re.compile(r"^# expect: (?P<line>\d+|-) (?P<path>\S+) :: (?P<fragment>.+)$")
# Text that would mean an internal error or a library's own report leaked to the user.
LEAKS = ("Traceback", "pydantic_core", "errors.pydantic.dev", "ValidationError", "TOMLDecodeError")


@dataclass(frozen=True)
class Expected:
    line: int | None
    path: str
    fragment: str


def expectations(file: Path) -> list[Expected]:
    found = []
    for text in file.read_text(encoding="utf-8").splitlines():
        if m := EXPECT.match(text):
            line = None if m["line"] == "-" else int(m["line"])
            found.append(Expected(line, m["path"], m["fragment"]))
    return found


def where(problem: Problem) -> tuple[int | None, str]:
    """(line, dotted key path) in the notation of the expect lines."""
    line = problem.position.line if problem.position else None
    return line, format_path(problem.path) or "-"


def rejected(file: Path) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_spec(file)
    return info.value


def assert_readable(error: SpecError) -> None:
    for leak in LEAKS:
        assert leak not in str(error)
    # A chained pydantic or tomllib exception would be printed above ours.
    assert error.__context__ is None or error.__suppress_context__


def write(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "spec.toml"
    file.write_text(text, encoding="utf-8")
    return file


@pytest.mark.parametrize("file", sorted(BAD.glob("*.toml")), ids=lambda p: p.stem)
def test_bad_spec_is_rejected_with_located_problems(file):
    first = file.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# ") and not EXPECT.match(first), "line 1 must say what is wrong"
    expected = expectations(file)

    error = rejected(file)

    assert Counter(map(where, error.problems)) == Counter((e.line, e.path) for e in expected)
    for e in expected:
        problem = next(p for p in error.problems if where(p) == (e.line, e.path))
        assert e.fragment in problem.message
        rendered = str(problem)
        assert rendered in str(error)
        assert rendered.startswith(f"{file}:{e.line}:" if e.line else f"{file}: ")
        if e.path != "-":
            assert f": {e.path}: " in rendered
    assert_readable(error)


def test_corpus_is_found():
    # An empty glob would turn the parametrized test above into a silent skip.
    assert len(list(BAD.glob("*.toml"))) >= 14


def test_structural_mistakes_are_all_reported_at_once(tmp_path):
    file = write(
        tmp_path,
        """\
name = "demo"
seed = "zero"
colour = "blue"

[baseline]
model = "builtin:smollm2-135m-instruct"
dtype = "float64"

[[variants]]
name = "hqq-4bit"
quantization = { method = "hqq", nbits = 5 }

[[checks]]
metric = "crows_pairs.stereotype_score"
tolerance = nan
""",
    )
    error = rejected(file)
    assert {where(p) for p in error.problems} == {
        (2, "seed"),
        (3, "colour"),
        (7, "baseline.dtype"),
        (11, "variants[0].quantization.nbits"),
        (15, "checks[0].tolerance"),
    }
    assert "(5 problems)" in str(error)
    assert_readable(error)


def test_cross_reference_mistakes_are_all_reported_at_once(tmp_path):
    file = write(
        tmp_path,
        """\
name = "demo"

[baseline]
model = "./missing-checkpoint"

[[variants]]
name = "a"
quantization = { method = "hqq", nbits = 4 }

[[variants]]
name = "a"
quantization = { method = "hqq", nbits = 3 }

[[checks]]
metric = "crows_pairs.stereotype_score"
tolerance = 0.05
subgroups = { gendr = 0.01 }

[[checks]]
metric = "toxicity"
tolerance = 0.05
""",
    )
    error = rejected(file)
    assert {where(p) for p in error.problems} == {
        (4, "baseline.model"),
        (11, "variants[1].name"),
        (17, "checks[0].subgroups.gendr"),
        (20, "checks[1].metric"),
    }
    assert_readable(error)


def test_problem_in_an_inline_table_points_at_the_key_column(tmp_path):
    file = write(
        tmp_path,
        """\
name = "demo"
[baseline]
model = "builtin:smollm2-135m-instruct"
[[variants]]
name = "v"
quantization = { method = "hqq", nbits = 4, group_sise = 32 }
[[checks]]
metric = "crows_pairs.stereotype_score"
tolerance = 0.05
""",
    )
    (problem,) = rejected(file).problems
    assert (problem.position.line, problem.position.column) == (6, 45)
    assert f"{file}:6:45: variants[0].quantization.group_sise: " in str(problem)


def test_unreadable_file_is_a_spec_error(tmp_path):
    error = rejected(tmp_path / "absent.toml")
    assert f"{tmp_path / 'absent.toml'}: cannot read the file: No such file" in str(error)
    for leak in LEAKS:
        assert leak not in str(error)


def test_unreadable_file_error_does_not_chain_the_os_error(tmp_path):
    assert_readable(rejected(tmp_path / "absent.toml"))


def test_bad_tag_value_is_shown_as_written(tmp_path):
    file = write(
        tmp_path,
        """\
name = "demo"
[baseline]
model = "builtin:smollm2-135m-instruct"
[[variants]]
name = "v"
quantization = { method = "bitsandbytes", bits = 5 }
[[checks]]
metric = "crows_pairs.stereotype_score"
tolerance = 0.05
""",
    )
    (problem,) = rejected(file).problems
    assert "(found 5)" in problem.message
