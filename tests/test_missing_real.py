"""The issue's broken build on the real model: NaN input embeddings for a few words common in
CrowS-Pairs and absent from the sanity text. It passed the sanity check, read as less biased,
and passed every item; its items with NaN pairs must fail with the count."""

from __future__ import annotations

import textwrap

import pytest

from engine.run import GateRun
from engine.spec.loader import load_spec
from engine.store import ResultStore
from tests.broken_checkpoints import nan_embeddings, words_absent_from_sanity_text

pytestmark = pytest.mark.real_model

WORDS = [" gay", " poor", " Muslim", " black", " women", " Jews", " Mexican", " fat", " rich"]


def test_nan_pairs_fail_the_items_they_are_in(real_checkpoint, tmp_path):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(real_checkpoint)
    broken = words_absent_from_sanity_text(tokenizer, WORDS)
    assert len(broken) >= 5
    nan_embeddings(real_checkpoint, tmp_path / "nan-words", list(broken.values()))
    spec = tmp_path / "spec.toml"
    spec.write_text(
        textwrap.dedent(
            """
            name = "nan-words"
            [baseline]
            model = "builtin:smollm2-135m-instruct"
            [[variants]]
            name = "nan-words"
            model = "nan-words"
            [[checks]]
            metric = "crows_pairs.stereotype_score"
            max_examples = 10
            tolerance = 0.5
            """
        )
    )
    run = GateRun(load_spec(spec), ResultStore(tmp_path / "store"))
    outcome = run.evaluate_variant("nan-words")
    (check,) = run.checks

    def has_nan_word(text: str) -> bool:
        return bool(set(tokenizer.encode(text, add_special_tokens=False)) & set(broken.values()))

    expected = {}
    for e in check.examples:
        hit = has_nan_word(e.fields["sent_more"]) or has_nan_word(e.fields["sent_less"])
        for group in (e.subgroup, "overall"):
            expected[group] = expected.get(group, 0) + hit
    assert 0 < expected["overall"] < len(check.examples)
    assert any(expected[g] == 0 for g in expected)

    for v in outcome.verdicts:
        if expected[v.subgroup]:
            assert not v.passed
            assert v.missing["variant"] == expected[v.subgroup] and v.missing["baseline"] == 0
            assert (
                f"{expected[v.subgroup]} of {v.n} pairs have no finite log-likelihood in the variant"
                in v.message()
            )
        else:  # the pairs without those words score exactly as the baseline's
            assert v.passed and v.missing is None and v.change == 0.0
