"""Every TOML and shell example of README.md and docs/ is loaded, run or checked.

TOML: a block is a whole spec, or marked as a fragment (`FRAGMENT`) and completed with what a
whole spec needs; both go through `fairgate validate`, with the local files they name created.
Shell: the commands of each page run in order in a sandbox holding a copy of specs/, so that
a walkthrough's `fairgate init` precedes its `validate`. fairgate's cheap commands run as
written (a console block's output must match); `run` and `calibrate` are parsed by the CLI
and the files they name must exist; make targets must exist in the Makefile and pytest
arguments must parse with fairgate's plugin; anything else must be a known setup command.
"""

from __future__ import annotations

import glob
import importlib.util
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from _pytest.config import _prepareconfig

from engine import cli
from engine.report import browser
from tests.docs.blocks import (
    FRAGMENT,
    GENERATED,
    ROOT,
    SHELL_LANGUAGES,
    Command,
    all_blocks,
    commands,
    fenced_blocks,
    pages,
)
from tests.spec.test_docs import complete

# A local file a TOML example names gets content its format accepts.
LOCAL_FILES = {
    ".jsonl": '{"id": 1, "subgroup": "a", "prompt": "Q?\\nA:", "choices": ["x", "y"], "answer": 0}\n',
    ".tsv": "id\tpos\tcategory\tstereotype\tlemma\tlevel\nEN1\tn\tre\tno\tthief\tconservative\n",  # HurtLex
}
PATH_OPTION = re.compile(r'(?:checkpoint|huggingface_config_path|path) = "([^"]+)"')
CHEAP = {"validate", "list", "schema", "init", "report", "diff"}
# Loading a model is out of reach here: the CLI parses these, then the handler only records.
EXPENSIVE = {"run": "_run", "calibrate": "_calibrate", "merge": "_merge"}
RUN_DIRS = ("reports/latest", "reports/RUN_A", "reports/RUN_B")
RUN_FIXTURE = ROOT / "tests" / "report" / "fixtures" / "results.json"
PYTEST_PATH_OPTIONS = ("--specs=", "--fairgate-specs=")
BIN = Path(sys.executable).parent


def toml_examples():
    # docs/spec.md is generated; tests/spec/test_docs.py loads its examples.
    return [b for b in all_blocks("toml") if b.path != GENERATED]


@pytest.mark.parametrize("block", toml_examples(), ids=lambda b: b.where)
def test_toml_example_is_a_valid_spec(tmp_path, block, capsys):
    text = complete(block.text) if FRAGMENT in block.info else block.text
    for relative in PATH_OPTION.findall(text):
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.suffix:
            target.write_text(LOCAL_FILES.get(target.suffix, ""))
        else:
            target.mkdir(exist_ok=True)
    spec = tmp_path / "example.toml"
    spec.write_text(text, encoding="utf-8")
    assert cli.main(["validate", str(spec)]) == 0, capsys.readouterr().err


def test_a_whole_spec_example_must_be_whole(tmp_path, capsys):
    spec = tmp_path / "example.toml"
    spec.write_text('[[checks]]\nmetric = "crows_pairs.stereotype_score"\ntolerance = 0.05\n')
    assert cli.main(["validate", str(spec)]) == 1
    assert "baseline: required key is missing" in capsys.readouterr().err


def test_pages_have_toml_and_shell_examples():
    assert len(toml_examples()) >= 8
    assert sum(1 for b in toml_examples() if FRAGMENT not in b.info) >= 1
    assert len(all_blocks(SHELL_LANGUAGES)) >= 15


# A workflow's expressions stand for values only the CI run knows.
EXPRESSION = re.compile(r"\$\{\{[^}]*\}\}")


def test_yaml_examples_parse_and_their_steps_exist(sandbox, monkeypatch, capsys):
    make_steps = fairgate_steps = 0
    for block in all_blocks("yaml"):
        for job in yaml.safe_load(block.text)["jobs"].values():
            for step in job["steps"]:
                words = shlex.split(EXPRESSION.sub("x", step.get("run", "")))
                if words[:1] == ["make"]:
                    make_steps += 1
                    assert words[1] in makefile_targets(), block.where
                elif words and tool(words) == "fairgate":
                    fairgate_steps += 1
                    with monkeypatch.context() as m:
                        check_fairgate(Command(block, words, None, None), words[1:], m, capsys)
    assert make_steps >= 1 and fairgate_steps >= 3


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*):", text, re.M))


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A fresh checkout's view: a copy of specs/, the tests' bad specs, and three run
    directories for `report` and `diff`."""
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    (tmp_path / "tests").symlink_to(ROOT / "tests")
    for run in RUN_DIRS:
        (tmp_path / run).mkdir(parents=True)
        shutil.copy(RUN_FIXTURE, tmp_path / run / "results.json")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def expand(words: list[str]) -> list[str]:
    return [hit for word in words for hit in (sorted(glob.glob(word)) if "*" in word else [word])]


def check_fairgate(command: Command, args: list[str], monkeypatch, capsys) -> None:
    where = command.block.where
    if args[0] in EXPENSIVE:
        called = []
        monkeypatch.setattr(cli, EXPENSIVE[args[0]], lambda parsed: called.append(parsed) or 0)
        assert cli.main(args) == 0, where
        parsed = called[0]
        specs = getattr(parsed, "specs", None) or ([parsed.spec] if hasattr(parsed, "spec") else [])
        for spec in specs:
            assert Path(spec).is_file(), f"{where}: {spec} does not exist"
        return
    assert args[0] in CHEAP, f"{where}: `fairgate {args[0]}` is neither cheap nor known to be expensive"
    code = cli.main(expand(args))
    out, err = capsys.readouterr()
    if command.output is not None:
        assert (out + err).strip("\n") == command.output, where
    else:
        assert code == 0, f"{where}: {' '.join(args)}\n{err}"
    if command.redirect:
        assert out == (ROOT / command.redirect).read_text(), f"{where}: {command.redirect} differs"


def check_pytest_args(where: str, args: list[str], monkeypatch) -> None:
    for arg in args:
        for option in PYTEST_PATH_OPTIONS:
            if arg.startswith(option):
                assert glob.glob(arg[len(option) :]), f"{where}: {arg} names no file"
    with monkeypatch.context() as m:
        m.chdir(ROOT)  # where the root conftest registers the plugin, as `make gate` runs
        # Parsing only: pytest has no public API that parses arguments without running.
        config = _prepareconfig([*args, "fairness_tests/"])
        config._ensure_unconfigure()


def check_make(where: str, words: list[str], monkeypatch) -> None:
    for word in words:
        name, _, value = word.partition("=")
        if not value:
            assert word in makefile_targets(), f"{where}: no make target {word!r}"
        elif name == "PYTEST_ARGS":
            check_pytest_args(where, shlex.split(value), monkeypatch)
        else:
            assert re.search(rf"^{name} \?=", (ROOT / "Makefile").read_text(), re.M), f"{where}: {name}"


def makefile_default(name: str) -> str:
    return re.search(rf"^{name} [?:]= *(.+)$", (ROOT / "Makefile").read_text(), re.M)[1]


def check_pip(where: str, packages: list[str]) -> None:
    """The installs a page may show: torch as the Makefile pins it, the offline assets as the
    Makefile installs them, or fairgate (from a path) with extras it declares."""
    if packages[:1] == ["--no-deps"]:
        assert packages[1:] == makefile_default("ASSETS").split(), where
        return
    (package,) = packages
    if package.startswith("torch"):
        assert package == makefile_default("TORCH"), where
        return
    name, _, extras = package.partition("[")
    assert Path(name).name == pyproject()["project"]["name"], where
    declared = pyproject()["project"]["optional-dependencies"]
    assert all(e in declared for e in extras.rstrip("]").split(",") if e), where


def tool(words: list[str]) -> str:
    return words[0].removeprefix(".venv/bin/")


def check_command(command: Command, monkeypatch, capsys) -> None:
    words, where = command.words, command.block.where
    name = tool(words)
    if name == "fairgate":
        check_fairgate(command, words[1:], monkeypatch, capsys)
    elif name == "make":
        check_make(where, words[1:], monkeypatch)
    elif name == "pytest":
        check_pytest_args(where, words[1:], monkeypatch)
    elif name == "python" and words[1] == "-m":
        assert importlib.util.find_spec(words[2]), f"{where}: no module {words[2]}"
    elif name == "python":
        assert (ROOT / words[1]).is_file(), f"{where}: no script {words[1]}"
    elif name == "taplo":
        done = subprocess.run([BIN / "taplo", *words[1:]], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, f"{where}: {done.stderr}"
    elif name == "mkdocs":
        # tests/docs/test_site.py builds the site; a subcommand must exist.
        done = subprocess.run([BIN / "mkdocs", words[1], "--help"], capture_output=True, text=True)
        assert done.returncode == 0, f"{where}: {done.stderr}"
    elif words[:3] == ["apt-get", "install", "-y"]:
        assert words[3] in browser.CHROMIUM_NAMES, where
    elif words[:2] == ["pip", "install"]:
        check_pip(where, words[2:])
    else:
        pytest.fail(f"{where}: no check for the command {' '.join(words)!r}")


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_shell_examples_run_or_parse(page, sandbox, monkeypatch, capsys):
    blocks = [b for b in fenced_blocks(page) if b.language in SHELL_LANGUAGES]
    problems = []
    for block in blocks:
        for command in commands(block):
            try:
                check_command(command, monkeypatch, capsys)
            except (AssertionError, pytest.UsageError, SystemExit) as problem:  # every command
                problems.append(f"{block.where}: {' '.join(command.words)}\n  {problem}")
    assert not problems, "\n".join(problems)
