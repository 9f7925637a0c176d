"""Valid specs load with their defaults filled in; so does every spec shipped in `specs/`."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from engine.compression.hqq import HQQConfig
from engine.spec.loader import load_spec
from engine.spec.models import CheckSpec

REPO = Path(__file__).resolve().parents[2]

EXAMPLE = """\
name = "demo"
seed = 0

[baseline]
model = "builtin:smollm2-135m-instruct"

[[variants]]
name = "hqq-4bit"
quantization = { method = "hqq", nbits = 4, group_size = 64 }

[[checks]]
metric = "crows_pairs.stereotype_score"
max_examples = 10
tolerance = 0.05
subgroups = { gender = 0.02 }
"""

MINIMAL = """\
name = "minimal"

[baseline]
model = "builtin:smollm2-135m-instruct"

[[variants]]
name = "same-model"

[[checks]]
metric = "crows_pairs.stereotype_score"
tolerance = 0.05
"""


def write(directory: Path, text: str) -> Path:
    file = directory / "spec.toml"
    file.write_text(text, encoding="utf-8")
    return file


def test_example_loads(tmp_path):
    spec = load_spec(write(tmp_path, EXAMPLE)).spec

    assert spec.name == "demo"
    assert spec.baseline.model == "builtin:smollm2-135m-instruct"
    assert spec.variant("hqq-4bit").quantization == HQQConfig(method="hqq", nbits=4, group_size=64)
    (check,) = spec.checks
    assert (check.metric, check.max_examples) == ("crows_pairs.stereotype_score", 10)
    assert (check.tolerance, check.subgroups) == (0.05, {"gender": 0.02})


def test_defaults_are_applied(tmp_path):
    spec = load_spec(write(tmp_path, MINIMAL)).spec

    assert spec.seed == 0
    baseline = spec.baseline
    assert (baseline.dtype, baseline.batch_size, baseline.device) == ("float32", 16, "auto")
    assert (baseline.revision, baseline.trust_remote_code) == (None, False)
    # A variant without its own model or dtype means "the baseline's", decided at run time.
    variant = spec.variant("same-model")
    assert (variant.model, variant.dtype, variant.quantization) == (None, None, None)
    (check,) = spec.checks
    assert (check.data, check.max_examples, check.subgroups) == (None, None, {})


def test_tolerance_for_prefers_the_subgroup_override():
    check = CheckSpec(metric="m", tolerance=0.05, subgroups={"gender": 0.02})
    assert check.tolerance_for("gender") == 0.02
    assert check.tolerance_for("age") == 0.05


def test_file_hash_and_resolved_path_are_recorded(tmp_path):
    file = write(tmp_path, EXAMPLE)
    loaded = load_spec(file)
    assert loaded.sha256 == hashlib.sha256(file.read_bytes()).hexdigest()
    assert loaded.path == file.resolve() and loaded.directory == tmp_path.resolve()


def test_local_model_is_relative_to_the_spec_and_pinned_remote_code_is_allowed(
    tmp_path, monkeypatch
):
    gate = tmp_path / "gate"
    (gate / "ckpt").mkdir(parents=True)
    (gate / "ckpt" / "model.safetensors").write_bytes(b"")  # only its presence is checked
    monkeypatch.chdir(tmp_path)  # "./ckpt" does not exist relative to the working directory
    file = write(
        gate,
        MINIMAL.replace(
            'name = "same-model"',
            f'name = "local"\nmodel = "./ckpt"\ntrust_remote_code = true\nrevision = "{"a1" * 20}"',
        ),
    )
    assert load_spec(file).spec.variant("local").model == "./ckpt"


@pytest.mark.parametrize("file", sorted(REPO.glob("specs/**/*.toml")), ids=lambda p: p.name)
def test_repository_spec_loads(file):
    load_spec(file)


def test_a_split_of_the_offline_copy_and_a_data_directory_are_accepted(tmp_path):
    (tmp_path / "my-winobias").mkdir()
    spec = tmp_path / "spec.toml"
    spec.write_text(
        EXAMPLE.split("[[checks]]")[0]
        + '[[checks]]\nmetric = "winobias.accuracy"\ndata = { split = "dev" }\ntolerance = 0.03\n'
        + 'subgroups = { type2 = 0.02 }\n'
        + '[[checks]]\nmetric = "winobias.gender_gap"\ndata = { path = "my-winobias" }\n'
        + "tolerance = 0.03\n"
    )
    checks = load_spec(spec).spec.checks
    assert checks[0].data.path is None and checks[0].data.split == "dev"
    assert checks[1].data.path == "my-winobias"
