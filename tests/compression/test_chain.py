"""Compression chains: declared in order, applied in order, cached by all their steps."""

from __future__ import annotations

import math
import os
import textwrap

import pytest

from engine.compression.hqq import HQQConfig
from engine.models.identity import model_identity
from engine.models.loading import load_model
from engine.compression.prune import PruneConfig
from engine.models.source import ModelRef, resolve
from engine.run import GateRun
from engine.run_errors import RunError
from engine.spec.loader import load_spec
from engine.store import ResultStore
from tests.helpers import poison_hqq

PRUNE_2_4 = PruneConfig(method="prune", pattern="2:4")
HQQ_4 = HQQConfig(method="hqq", nbits=4, group_size=64)


def gate(tmp_path, variants: str, checks: str = "") -> GateRun:
    spec = tmp_path / "chain.toml"
    spec.write_text(
        textwrap.dedent(
            """
            name = "chain"
            [baseline]
            model = "builtin:smollm2-135m-instruct"
            device = "cpu"
            """
        )
        + textwrap.dedent(variants)
        + textwrap.dedent(
            checks
            or """
            [[checks]]
            metric = "crows_pairs.stereotype_score"
            tolerance = 0.05
            """
        )
    )
    return GateRun(
        load_spec(spec), ResultStore(os.path.join(os.environ["FAIRGATE_CACHE"], "results"))
    )


VARIANTS = """
[[variants]]
name = "prune-then-hqq"
compression = [{ method = "prune", pattern = "2:4" }, { method = "hqq", nbits = 4 }]
[[variants]]
name = "one-step-chain"
compression = [{ method = "hqq", nbits = 4 }]
[[variants]]
name = "hqq"
quantization = { method = "hqq", nbits = 4 }
[[variants]]
name = "int8"
quantization = { method = "dynamic-int8" }
"""


def test_chain_is_planned_in_declared_order(tmp_path):
    run = gate(tmp_path, VARIANTS)
    assert run.plan("prune-then-hqq").quantization == (PRUNE_2_4, HQQ_4)
    assert run.plan("one-step-chain").quantization == run.plan("hqq").quantization == HQQ_4
    assert run.plan(None).quantization is None


def test_identity_covers_every_step_in_order(tmp_path):
    run = gate(tmp_path, VARIANTS)

    def identity(plan):
        return model_identity(plan, "0" * 64, "cpu")

    chain, single = run.plan("prune-then-hqq"), run.plan("hqq")
    reversed_chain = type(chain)(**{**chain.__dict__, "quantization": (HQQ_4, PRUNE_2_4)})
    prune_only = type(chain)(**{**chain.__dict__, "quantization": PRUNE_2_4})
    identities = {identity(p) for p in (chain, single, reversed_chain, prune_only)}
    assert len(identities) == 4
    assert identity(run.plan("one-step-chain")) == identity(single)


def test_tiny_chain_reports_each_step(tiny_checkpoint):
    _, report = load_model(
        resolve(ModelRef(str(tiny_checkpoint))), "float32", "cpu", (PRUNE_2_4, HQQ_4)
    )
    first, second = report["steps"]
    assert first["sparsity"] == 0.5 and first["pattern_checked"] == "2:4"
    assert second["compressed_layers"] == 14
    assert report["method"] == [PRUNE_2_4.model_dump(), HQQ_4.model_dump()]
    assert report["compressed_linear_layers"] == 14 and report["linear_layers"] == 15
    assert "dense kernels" in report["forward"] and "hqq" in report["forward"]


@pytest.mark.real_model
def test_real_chain_keeps_2_4_zeros_through_hqq_sanity(real_checkpoint):
    _, report = load_model(
        resolve(ModelRef(str(real_checkpoint))), "float32", "cpu", (PRUNE_2_4, HQQ_4)
    )
    # At least 2 zeros per group of 4: a few groups already held more exact zeros.
    assert report["steps"][0]["sparsity"] == pytest.approx(0.5, abs=1e-4)
    assert report["compressed_linear_layers"] == 210
    sanity = report["sanity"]
    print(
        f"2:4 + hqq4: perplexity {sanity['perplexity']:.2f} (uncompressed {sanity['uncompressed_perplexity']:.2f})"
    )
    assert sanity["uncompressed_perplexity"] < sanity["perplexity"] < sanity["vocab_size"]


@pytest.mark.real_model
def test_gate_judges_int8_and_a_chain_end_to_end(tmp_path):
    run = gate(
        tmp_path,
        """
        [[variants]]
        name = "int8"
        quantization = { method = "dynamic-int8" }
        [[variants]]
        name = "prune-2-4-hqq4"
        compression = [{ method = "prune", pattern = "2:4" }, { method = "hqq", nbits = 4 }]
        """,
        """
        [[checks]]
        metric = "crows_pairs.stereotype_score"
        max_examples = 4
        tolerance = 0.05
        """,
    )
    outcomes = {name: run.evaluate_variant(name) for name in ("int8", "prune-2-4-hqq4")}
    for name, outcome in outcomes.items():
        compression = outcome.variant.model["compression"]
        sanity = compression["sanity"]
        print(
            name,
            f"perplexity {sanity['perplexity']:.2f}",
            "verdicts:",
            [
                (v.subgroup, round(v.baseline, 3), round(v.value, 3), v.passed)
                for v in outcome.verdicts
            ],
        )
        assert (
            math.isfinite(sanity["perplexity"]) and compression["compressed_linear_layers"] == 210
        )
        baseline_n = {v.subgroup: v.n for v in outcomes["int8"].verdicts}
        for v in outcome.verdicts:
            assert math.isfinite(v.value) and math.isfinite(v.baseline)
            assert v.n == baseline_n[v.subgroup]
            assert v.passed == (v.worsening <= v.tolerance)  # the point rule, stated honestly
    assert (
        outcomes["int8"].baseline.model["compression"]["sanity"]["uncompressed_perplexity"] is None
    )


def test_broken_variant_fails_with_the_reason_named(tmp_path, tiny_checkpoint, monkeypatch):
    poison_hqq(monkeypatch)
    spec = tmp_path / "broken.toml"
    spec.write_text(
        textwrap.dedent(
            f"""
            name = "broken"
            [baseline]
            model = "{tiny_checkpoint}"
            device = "cpu"
            [[variants]]
            name = "nan"
            quantization = {{ method = "hqq", nbits = 4 }}
            [[checks]]
            metric = "crows_pairs.stereotype_score"
            max_examples = 1
            tolerance = 0.05
            """
        )
    )
    run = GateRun(load_spec(spec), ResultStore(tmp_path / "store"))
    with pytest.raises(
        RunError, match="variant 'nan': compression broken: perplexity nan on the sanity text"
    ):
        run.evaluate_variant("nan")
