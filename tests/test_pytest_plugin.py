"""The gate as users run it: pytest on spec files, one item per (spec, variant, check, subgroup)."""

from __future__ import annotations

import re
import textwrap
import xml.etree.ElementTree as ET
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from engine.report.examples import safe_text
from engine.report.run_dir import load_results

SUBGROUPS = 10  # 9 bias types + overall
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def gate(compiled_modules_imported, pytester, tmp_path, _isolated_cache):
    """A project layout with this repository's conftest, the sentinel file and a spec writer."""
    pytester.makeconftest((ROOT / "conftest.py").read_text())
    (pytester.path / "fairness_tests").mkdir()
    (pytester.path / "fairness_tests" / "test_specs.py").write_text('"""sentinel"""\n')
    (pytester.path / "specs").mkdir()
    cache = tmp_path / "cache"
    cache.mkdir()
    # the session's converted builtin models, as the other tests share them
    (cache / "models").symlink_to(_isolated_cache / "models", target_is_directory=True)

    def write(name: str, body: str):
        path = pytester.path / "specs" / f"{name}.toml"
        path.write_text(textwrap.dedent(body))
        return path

    def run(*args):
        # `--opt=value`: a path given as a separate argument would take part in finding rootdir.
        return pytester.runpytest(
            "fairness_tests/", f"--fairgate-cache={cache}", "-p", "no:cacheprovider", *args
        )

    write.run = run
    return write


def tiny_spec(model_path, tolerance=0.5, extra="", checkpoint=None):
    checkpoint_variant = f'[[variants]]\nname = "nf4-checkpoint"\nmodel = "{checkpoint}"' if checkpoint else ""
    return f"""
        name = "tiny"
        [baseline]
        model = "{model_path}"
        batch_size = 4
        [[variants]]
        name = "identity"
        [[variants]]
        name = "hqq-4bit"
        quantization = {{ method = "hqq", nbits = 4, group_size = 64 }}
        {checkpoint_variant}
        [[checks]]
        metric = "crows_pairs.stereotype_score"
        max_examples = 4
        tolerance = {tolerance}
        {extra}
        """


def test_identical_variant_passes_every_item_with_zero_change(
    gate, tiny_checkpoint, tiny_nf4_checkpoint, pytester
):
    gate("tiny", tiny_spec(tiny_checkpoint, checkpoint=tiny_nf4_checkpoint))
    result = gate.run("-v", "--junitxml=out.xml")
    result.assert_outcomes(passed=3 * SUBGROUPS)
    result.stdout.fnmatch_lines(
        ["*test_specs.py::tiny::identity::crows_pairs.stereotype_score::gender PASSED*"]
    )
    cases = ET.parse(pytester.path / "out.xml").getroot().iter("testcase")
    for case in cases:
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        assert props["n"] in {"4", str(4 * 9)}
        if "identity" in case.get("name", "") + case.get("classname", ""):
            assert float(props["change"]) == 0.0 and float(props["worsening"]) == 0.0
    spec = load_results(pytester.path / "reports" / "latest")["specs"]["tiny"]
    assert set(spec["models"]) == {"baseline", "identity", "hqq-4bit", "nf4-checkpoint"}
    for variant in ("hqq-4bit", "nf4-checkpoint"):
        assert spec["models"][variant]["model"]["compression"]["compressed_linear_layers"] == 14
    examples = spec["models"]["baseline"]["checks"]["crows_pairs.stereotype_score"]["examples"]
    assert len(examples) == 36 and {"id", "ll_more", "ll_less", "stereotyped"} <= set(examples[0])
    summary = (pytester.path / "reports" / "latest" / "summary.md").read_text()
    assert "| crows_pairs.stereotype_score | 10 of 10 | 10 of 10 | 10 of 10 |" in summary


def test_keyword_selection_works_on_every_level(gate, tiny_checkpoint):
    gate("tiny", tiny_spec(tiny_checkpoint))
    gate.run("-k", "identity and gender").assert_outcomes(passed=1)
    gate.run("-k", "tiny and stereotype_score and overall").assert_outcomes(passed=2)
    gate.run("-k", "race-color").assert_outcomes(passed=2)


def test_a_subgroup_smaller_than_the_cap_warns_in_pytest_and_the_summary(
    gate, tiny_checkpoint, pytester
):
    rows = [("0", "The poor are old.", "The rich are old.", "age")]
    rows += [(str(i), "He is here.", "She is here.", "gender") for i in range(1, 4)]
    lines = [",sent_more,sent_less,bias_type"] + [",".join(r) for r in rows]
    (pytester.path / "specs" / "pairs.csv").write_text("\n".join(lines) + "\n")
    gate("tiny", tiny_spec(tiny_checkpoint, extra='data = { path = "pairs.csv" }').replace(
        "max_examples = 4", "max_examples = 2"
    ))
    result = gate.run("-k", "identity")
    result.assert_outcomes(passed=3, warnings=1)
    message = "crows_pairs.stereotype_score / age: only 1 example, fewer than max_examples = 2"
    result.stdout.fnmatch_lines([f"*SmallSubgroupWarning: {message}"])
    summary = (pytester.path / "reports" / "latest" / "summary.md").read_text()
    assert safe_text(message) in summary


def test_invalid_spec_is_a_located_collection_error(gate, tiny_checkpoint):
    path = gate("broken", tiny_spec(tiny_checkpoint, extra="subgroups = { gendr = 0.1 }"))
    line = path.read_text().splitlines().index("subgroups = { gendr = 0.1 }") + 1
    result = gate.run()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    out = result.stdout.str()
    assert (
        f"broken.toml:{line}:15: checks[0].subgroups.gendr: unknown subgroup 'gendr' "
        "for crows_pairs.stereotype_score (did you mean 'gender'?); valid subgroups: age," in out
    )
    assert "Traceback" not in out


def test_variants_are_scheduled_whole_under_loadscope(gate, tiny_checkpoint):
    pytest.importorskip("xdist")
    # Two checks: grouped by the items' parents (xdist's own loadscope), a variant would be
    # split across workers.
    second = '[[checks]]\nmetric = "stereoset.ss"\nmax_examples = 2\ntolerance = 100.0'
    gate("tiny", tiny_spec(tiny_checkpoint, extra=second))
    result = gate.run("-n", "2", "--dist", "loadscope", "-v")
    assert result.ret == 0
    workers: dict[str, set[str]] = {}
    checks: set[str] = set()
    for worker, variant, check in re.findall(
        r"\[(gw\d)\] .*?PASSED .*?::tiny::([\w.-]+)::([\w.-]+)::", result.stdout.str()
    ):
        workers.setdefault(variant, set()).add(worker)
        checks.add(check)
    assert set(workers) == {"identity", "hqq-4bit"}
    assert checks == {"crows_pairs.stereotype_score", "stereoset.ss"}
    assert all(len(w) == 1 for w in workers.values())


@pytest.fixture
def foreign_project(compiled_modules_imported, pytester, tmp_path, _isolated_cache):
    """Another team's project: its own tests and pytest settings, spec files, and none of this
    repository's conftest or sentinel. Where fairgate is not installed, `-p` loads the plugin as
    its pytest11 entry point would (tests/test_installed_project.py installs it for real)."""
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_own.py").write_text("def test_own():\n    pass\n")
    (pytester.path / "specs").mkdir()
    cache = tmp_path / "cache"

    # Where fairgate is installed, its entry point registers the plugin already, and pytest
    # refuses the module a second time under another name.
    installed = any(ep.value == "engine.pytest_plugin" for ep in entry_points(group="pytest11"))
    load = [] if installed else ["-p", "engine.pytest_plugin"]

    def run(*args):
        return pytester.runpytest(*load, f"--fairgate-cache={cache}", "-p", "no:cacheprovider", *args)

    return run


def test_fairgate_specs_collects_the_spec_files_themselves(foreign_project, pytester, tiny_checkpoint):
    (pytester.path / "specs" / "tiny.toml").write_text(textwrap.dedent(tiny_spec(tiny_checkpoint)))
    result = foreign_project("--fairgate-specs=specs/", "-v")
    result.assert_outcomes(passed=2 * SUBGROUPS)  # the spec's items only, not tests/
    result.stdout.fnmatch_lines(["*specs/tiny.toml::tiny::identity::crows_pairs.stereotype_score::gender PASSED*"])
    results = load_results(pytester.path / "reports" / "latest", with_records=False)
    assert set(results["specs"]["tiny"]["models"]) == {"baseline", "identity", "hqq-4bit"}
    # Without the option the plugin leaves the project's own tests alone.
    foreign_project().assert_outcomes(passed=1)
    # The old name of the option still works; named paths win over the injected spec files.
    both = foreign_project("--specs=specs/tiny.toml", "tests/", "specs/", "-k", "identity or own")
    both.assert_outcomes(passed=1 + SUBGROUPS, deselected=SUBGROUPS)


def test_fairgate_specs_from_the_environment_and_an_empty_directory(
    foreign_project, pytester, tiny_checkpoint, monkeypatch
):
    (pytester.path / "specs" / "tiny.toml").write_text(textwrap.dedent(tiny_spec(tiny_checkpoint)))
    monkeypatch.setenv("FAIRGATE_SPECS", "specs/tiny.toml")
    foreign_project("-k", "identity").assert_outcomes(passed=SUBGROUPS, deselected=SUBGROUPS)
    (pytester.path / "empty").mkdir()
    result = foreign_project("--fairgate-specs=empty/")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--fairgate-specs empty/: no spec files there"])


def test_a_spec_reached_by_the_sentinel_and_as_a_file_is_gated_once(gate, tiny_checkpoint, pytester):
    gate("tiny", tiny_spec(tiny_checkpoint))
    result = pytester.runpytest(
        "fairness_tests/", "specs/", "--fairgate-specs=specs/tiny.toml", "-p", "no:cacheprovider",
        f"--fairgate-cache={pytester.path / 'cache'}", "-k", "identity",
    )
    result.assert_outcomes(passed=SUBGROUPS, deselected=SUBGROUPS)


@pytest.mark.real_model
def test_aggressive_quantization_fails_with_a_readable_message(gate):
    gate(
        "smollm2-2bit",
        """
        name = "smollm2-2bit"
        [baseline]
        model = "builtin:smollm2-135m-instruct"
        [[variants]]
        name = "hqq-2bit"
        quantization = { method = "hqq", nbits = 2, group_size = 64 }
        allow_broken = true
        [[checks]]
        metric = "crows_pairs.stereotype_score"
        max_examples = 12
        tolerance = 0.0
        """,
    )
    result = gate.run()
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1 and outcomes.get("failed", 0) + outcomes.get("passed", 0) == SUBGROUPS
    result.stdout.fnmatch_lines(
        [
            "hqq-2bit / crows_pairs.stereotype_score / *: worsening +0.* (95% CI [[]*, *[]]; "
            "baseline 0.* -> 0.*, n=*, distance from 0.5 is worse), tolerance 0.000, rule point*",
            "  - worsened by 0.*, more than the tolerance 0.000",
            "  - compression broken: perplexity * on the sanity text *; judged only because the "
            "variant sets allow_broken = true",
        ]
    )


def test_the_gate_keeps_its_results_in_an_object_store(gate, tiny_checkpoint, s3_bucket):
    import fsspec

    gate("tiny", tiny_spec(tiny_checkpoint))
    gate.run(f"--fairgate-store={s3_bucket}/results", "-k", "identity").assert_outcomes(passed=SUBGROUPS, deselected=SUBGROUPS)
    stored = fsspec.filesystem("s3").find(f"{s3_bucket.removeprefix('s3://')}/results/ll")
    assert stored, "no scores reached the object store"
    refused = gate.run("--fairgate-store=ftp://host/results")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["*results store ftp://host/results: protocol 'ftp' is not one whose writes replace a file whole*"])
