"""The command line: validate without loading models, and the committed JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

from engine import cli

ROOT = Path(__file__).resolve().parents[1]


def test_committed_schema_is_current():
    committed = json.loads((ROOT / "specs" / "fairgate.schema.json").read_text())
    assert committed == cli.schema(), "regenerate with: fairgate schema > specs/fairgate.schema.json"


def test_validate_reports_each_file(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[baseline]\nmodel = "builtin:nope"\n')
    specs = sorted(str(p) for p in (ROOT / "specs").rglob("*.toml"))
    assert cli.main(["validate", *specs]) == 0
    assert cli.main(["validate", str(bad), *specs]) == 1
    out, err = capsys.readouterr()
    assert "smollm2-135m.toml: ok (4 variants, 1 checks)" in out
    assert "bad.toml:1:1: variants: required key is missing" in err


def test_readme_spec_example_is_valid(tmp_path):
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Writing a spec", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    spec = tmp_path / "readme.toml"
    spec.write_text(block)
    assert cli.main(["validate", str(spec)]) == 0
