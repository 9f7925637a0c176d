"""The command line: validate without loading models."""

from __future__ import annotations

from pathlib import Path

from engine import cli

ROOT = Path(__file__).resolve().parents[1]


def test_validate_reports_each_file(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[baseline]\nmodel = "builtin:nope"\n')
    specs = sorted(str(p) for p in (ROOT / "specs").rglob("*.toml"))
    assert cli.main(["validate", *specs]) == 0
    assert cli.main(["validate", str(bad), *specs]) == 1
    out, err = capsys.readouterr()
    assert "smollm2-135m.toml: ok (4 variants, 1 checks)" in out
    assert "bad.toml:1:1: variants: required key is missing" in err


