"""`fairgate init`: a commented starter spec that validates as written."""

from __future__ import annotations

import pytest

from engine import cli
from engine.spec.loader import load_spec
from engine.spec.starter import METHODS, spec_name

METHOD_SETS = [
    "hqq-4bit,hqq-3bit,bnb-nf4,bnb-int8",
    "hqq-4bit",
    "bnb-fp4,bnb-int8",
    ",".join(METHODS),
]


@pytest.mark.parametrize("methods", METHOD_SETS)
def test_starter_spec_validates(tmp_path, capsys, methods):
    output = tmp_path / "starter.toml"
    assert cli.main(["init", "builtin:smollm2-135m-instruct", "--methods", methods, "--output", str(output)]) == 0
    assert cli.main(["validate", str(output)]) == 0
    out, _ = capsys.readouterr()
    n = len(methods.split(","))
    assert f"starter.toml: ok ({n} variants, 3 checks)" in out
    spec = load_spec(output).spec
    assert [v.name for v in spec.variants] == methods.split(",")
    assert spec.name == "smollm2-135m-instruct"


def test_default_methods_and_default_output_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "builtin:smollm2-135m-instruct"]) == 0
    spec = load_spec(tmp_path / "smollm2-135m-instruct.toml").spec
    assert [v.name for v in spec.variants] == ["hqq-4bit", "hqq-3bit", "bnb-nf4", "bnb-int8"]


def test_every_field_is_commented(tmp_path):
    output = tmp_path / "s.toml"
    cli.main(["init", "builtin:smollm2-135m-instruct", "--output", str(output)])
    text = output.read_text()
    for key in ("name =", "seed =", "model =", "dtype =", "name = \"hqq-4bit\""):
        line = next(line for line in text.splitlines() if line.startswith(key))
        assert "#" in line, line
    assert "tolerance" in text and "docs/statistics.md" in text


def test_refuses_to_overwrite(tmp_path, capsys):
    output = tmp_path / "s.toml"
    output.write_text("mine")
    assert cli.main(["init", "builtin:smollm2-135m-instruct", "--output", str(output)]) == 1
    assert output.read_text() == "mine"
    assert "exists; not overwritten" in capsys.readouterr().err


def test_unknown_method_is_refused_with_the_choices(tmp_path, capsys):
    output = tmp_path / "s.toml"
    assert cli.main(["init", "builtin:smollm2-135m-instruct", "--methods", "hqq-5bit", "--output", str(output)]) == 2
    assert not output.exists()
    assert "unknown method(s) hqq-5bit; choose from hqq-1bit" in capsys.readouterr().err


def test_hub_id_gets_a_comment_to_pin_it(tmp_path, capsys):
    output = tmp_path / "s.toml"
    assert cli.main(["init", "HuggingFaceTB/SmolLM2-135M", "--output", str(output)]) == 0
    text = output.read_text()
    assert '# revision = "<commit sha>"   # pin the hub id' in text
    assert 'model = "HuggingFaceTB/SmolLM2-135M"' in text
    assert cli.main(["validate", str(output)]) == 0


def test_local_directory_is_written_relative_to_the_spec(tmp_path, monkeypatch):
    checkpoint = tmp_path / "ckpt"
    checkpoint.mkdir()
    (checkpoint / "model.safetensors").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "ckpt", "--methods", "hqq-4bit", "--output", "specs/s.toml"]) == 0
    text = (tmp_path / "specs" / "s.toml").read_text()
    assert 'model = "../ckpt"' in text
    assert load_spec(tmp_path / "specs" / "s.toml").spec.baseline.model == "../ckpt"


@pytest.mark.parametrize(
    "model, name",
    [("builtin:smollm2-135m-instruct", "smollm2-135m-instruct"), ("org/My Model", "My-Model"), ("./ckpt/", "ckpt")],
)
def test_spec_name_from_model(model, name):
    assert spec_name(model) == name

