"""specs/fairgate.schema.json: current, documented, and usable by taplo (`taplo check`,
Even Better TOML), which must accept the shipped specs and reject a wrong value type."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any, get_args

import pytest
from pydantic import BaseModel, TypeAdapter

from engine import cli
from engine.spec.models import Spec
from engine.spec.schema import DRAFT_4, spec_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "specs" / "fairgate.schema.json"
SPEC = ROOT / "specs" / "smollm2-135m.toml"
TAPLO = Path(sys.executable).parent / "taplo"


def test_committed_schema_is_current(capsys):
    assert cli.main(["schema"]) == 0
    assert SCHEMA.read_text() == capsys.readouterr().out, (
        "regenerate with: fairgate schema > specs/fairgate.schema.json"
    )


def _schemas(node: Any, path: str = "") -> list[tuple[str, dict]]:
    """Every subschema with where it sits, e.g. `checks[].data.path`."""
    if isinstance(node, list):
        return [found for item in node for found in _schemas(item, path)]
    if not isinstance(node, dict):
        return []
    found = [(path, node)]
    for key, value in node.items():
        if key == "properties":
            for name, field in value.items():
                found += _schemas(field, f"{path}.{name}".lstrip("."))
        elif key == "items":
            found += _schemas(value, path + "[]")
        elif key in ("anyOf", "oneOf", "allOf", "additionalProperties"):
            found += _schemas(value, path)
    return found


def _properties(schema: dict) -> list[tuple[str, dict]]:
    return [
        (f"{where}.{name}".lstrip("."), field)
        for where, node in _schemas(schema)
        for name, field in node.get("properties", {}).items()
    ]


def test_every_property_has_a_description_and_an_example():
    properties = _properties(spec_schema())
    assert len(properties) > 50
    undocumented = [name for name, field in properties if not field.get("description")]
    assert not undocumented, f"add a description to: {', '.join(undocumented)}"
    without_example = [name for name, field in properties if not field.get("examples")]
    assert not without_example, f"add an example to: {', '.join(without_example)}"


def _models(model: type[BaseModel]) -> set[type[BaseModel]]:
    """`model` and every model its fields can hold, through unions and containers."""
    found = {model}
    pending = [field.annotation for field in model.model_fields.values()]
    while pending:
        annotation = pending.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found |= _models(annotation)
        pending += [arg for arg in get_args(annotation) if not isinstance(arg, str)]
    return found


@pytest.mark.parametrize(
    "model", sorted(_models(Spec), key=lambda model: model.__name__), ids=lambda m: m.__name__
)
def test_field_examples_are_valid_values(model):
    for name, field in model.model_fields.items():
        assert field.examples, f"{model.__name__}.{name} has no example"
        annotation = field.annotation
        if field.metadata:  # constraints such as gt=0 sit beside the type
            annotation = Annotated[(annotation, *field.metadata)]
        validator = TypeAdapter(annotation)
        for example in field.examples:
            validator.validate_python(example)


def test_schema_is_plain_draft_4_for_taplo():
    """taplo's hover and completion ignore whatever sits beside a `$ref`, and draft 4 has no
    `const` and only boolean exclusive bounds (see engine/spec/schema.py)."""
    schema = spec_schema()
    assert schema["$schema"] == DRAFT_4
    for where, node in _schemas(schema):
        assert not {"$ref", "$defs", "const", "discriminator"} & node.keys(), where
        assert node.get("type") != "null", where
        for bound in ("exclusiveMinimum", "exclusiveMaximum"):
            assert node.get(bound, True) is True, where


def test_a_field_keeps_its_own_description_over_its_model_docstring():
    properties = dict(_properties(spec_schema()))
    assert properties["statistics"]["description"] == Spec.model_fields["statistics"].description
    assert "rule" in properties["statistics"]["properties"]


def taplo_check(*files: str, cwd: Path) -> subprocess.CompletedProcess:
    """`taplo check` offline: without --default-schema-catalogs it fetches no catalog, and
    the only schema a spec names is the local file."""
    assert TAPLO.exists(), f"{TAPLO} is missing: install the dev extras (pip install -e '.[dev]')"
    return subprocess.run(
        [str(TAPLO), "check", "--colors", "never", *files],
        cwd=cwd, capture_output=True, text=True, timeout=60, check=False,
    )


def test_taplo_accepts_every_spec_in_specs():
    specs = sorted(ROOT.glob("specs/**/*.toml"))
    assert len(specs) >= 3
    done = taplo_check(*(str(p.relative_to(ROOT)) for p in specs), cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"found files total={len(specs)}" in done.stdout + done.stderr


def test_every_spec_in_specs_names_the_schema_on_its_first_line():
    for spec in ROOT.glob("specs/**/*.toml"):
        relative = Path(os.path.relpath(SCHEMA, spec.parent)).as_posix()
        expected = relative if relative.startswith("../") else f"./{relative}"
        assert spec.read_text().splitlines()[0] == f"#:schema {expected}", spec


def _spec_lines() -> list[str]:
    return SPEC.read_text().splitlines(keepends=True)


def _with_wrong_tolerance() -> tuple[str, int]:
    lines = _spec_lines()
    line = next(n for n, text in enumerate(lines) if text.startswith("tolerance = "))
    lines[line] = 'tolerance = "0.05"\n'
    return "".join(lines), line + 1


def _with_wrong_batch_size() -> tuple[str, int]:
    lines = _spec_lines()
    line = lines.index("[baseline]\n") + 1
    lines.insert(line, 'batch_size = "16"\n')
    return "".join(lines), line + 1


@pytest.mark.parametrize(
    "broken, key, found, expected",
    [
        (_with_wrong_tolerance, "tolerance", '"0.05"', "number"),
        (_with_wrong_batch_size, "batch_size", '"16"', "integer"),
    ],
)
def test_taplo_rejects_a_wrong_value_type(tmp_path, broken, key, found, expected):
    text, line = broken()
    shutil.copy(SCHEMA, tmp_path)
    (tmp_path / "broken.toml").write_text(text)
    done = taplo_check("broken.toml", cwd=tmp_path)
    assert done.returncode == 1
    report = done.stdout + done.stderr
    assert f'{found} is not of type "{expected}"' in report
    assert re.search(rf"broken\.toml:{line}:\d+", report), report
    assert f"{key} = {found}" in report


def test_taplo_toml_associates_specs_without_a_schema_line(tmp_path):
    """The repository's .taplo.toml applies the schema to specs/**/*.toml by itself."""
    shutil.copy(ROOT / ".taplo.toml", tmp_path)
    (tmp_path / "specs" / "examples").mkdir(parents=True)
    shutil.copy(SCHEMA, tmp_path / "specs")
    body = "".join(_spec_lines()[1:]).replace("seed = 0", 'seed = "0"', 1)
    (tmp_path / "specs" / "examples" / "unmarked.toml").write_text(body)
    done = taplo_check("specs/**/*.toml", cwd=tmp_path)
    assert done.returncode == 1
    assert '"0" is not of type "integer"' in done.stdout + done.stderr
