"""The gate as users run it: pytest on spec files, one item per (spec, variant, check, subgroup)."""

from __future__ import annotations

import json
import re
import textwrap
import xml.etree.ElementTree as ET

import pytest

from engine.report.examples import safe_text

SUBGROUPS = 10  # 9 bias types + overall


@pytest.fixture
def gate(pytester, tmp_path, _isolated_cache):
    """A project layout with the plugin, the sentinel file and a spec writer."""
    pytester.makeconftest('pytest_plugins = ["engine.pytest_plugin"]')
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
    results = json.loads((pytester.path / "reports" / "latest" / "results.json").read_text())
    spec = results["specs"]["tiny"]
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
