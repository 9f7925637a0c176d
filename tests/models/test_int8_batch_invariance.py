"""LLM.int8 scores must not move with the batch size: each request gets a forward pass alone.

bitsandbytes picks a matmul's outlier columns over every position of the forward pass, so a
sentence batched or packed with others is computed differently from the same sentence alone.
"""

from __future__ import annotations

import pytest

from engine.datasets.base import DataSource, Example
from engine.evaluation import evaluate_model
from engine.metrics.registry import ScoringOptions, get_metric
from engine.compression.bitsandbytes import BitsAndBytes4bitConfig, BitsAndBytes8bitConfig
from engine.compression.dynamic_int8 import DynamicInt8Config
from engine.compression.hqq import HQQConfig
from engine.models.identity import model_identity, scored_alone
from engine.models.loading import load_model, load_tokenizer
from engine.models.source import ModelRef, resolve
from engine.models.transformers_backend import TransformersBackend
from engine.scoring.lm import LanguageModel
from engine.scoring.loglikelihood import LLRequest, loglikelihood
from engine.store import ResultStore
from tests.conftest import TINY_CORPUS
from tests.helpers import plan_for

METRIC = get_metric("crows_pairs.stereotype_score")
# The tiny random model's activations stay far below the default 6.0, where no column is an
# outlier and int8 would be batch-independent anyway; at 1.0 outlier columns are common.
TINY_INT8 = BitsAndBytes8bitConfig(method="bitsandbytes", bits=8, threshold=1.0)
REAL_INT8 = BitsAndBytes8bitConfig(method="bitsandbytes", bits=8)
# torch's dynamic int8 scales activations over a matmul's whole input: batch-dependent too.
DYNAMIC_INT8 = DynamicInt8Config(method="dynamic-int8")


def pairs(sentences: list[str]) -> list[Example]:
    """Pairs of sentences differing in their last words, so that scoring packs them."""
    return [
        Example(id=str(i), subgroup="g", fields={"sent_more": s, "sent_less": s[:-6] + " too."})
        for i, s in enumerate(sentences)
    ]


def crows_lls(path, quantization, examples, batch_size: int, store_root) -> list[float]:
    """Through the gate's own path: evaluate_model decides how the variant is batched."""
    evaluation = evaluate_model(
        plan_for(path, quantization, batch_size=batch_size),
        [(METRIC, examples, ScoringOptions("none"))],
        ResultStore(store_root),
    )
    return [ll for r in evaluation.records[METRIC.name] for ll in (r["ll_more"], r["ll_less"])]


def test_int8_alone_is_what_the_gate_uses_and_only_for_int8(tiny_checkpoint):
    assert scored_alone(plan_for(tiny_checkpoint, TINY_INT8))
    assert scored_alone(plan_for(tiny_checkpoint, DYNAMIC_INT8))
    nf4, hqq = BitsAndBytes4bitConfig(method="bitsandbytes", bits=4), HQQConfig(method="hqq", nbits=4)
    for other in (None, nf4, hqq, (hqq,)):
        assert not scored_alone(plan_for(tiny_checkpoint, other))


def test_int8_identity_records_the_scoring(tiny_checkpoint, monkeypatch):
    """Scores cached when int8 was batched must not be read back as scores computed alone."""
    plan = plan_for(tiny_checkpoint, TINY_INT8)
    alone = model_identity(plan, "0" * 64, "cpu")
    monkeypatch.setattr(BitsAndBytes8bitConfig, "batch_dependent", False)
    assert model_identity(plan, "0" * 64, "cpu") != alone


def test_batching_moves_tiny_int8_scores(tiny_checkpoint, tmp_path):
    """The failure being fixed, shown on this model and threshold: otherwise the next test
    would pass whatever the scoring did."""
    resolved = resolve(ModelRef(str(tiny_checkpoint)))
    model, _ = load_model(resolved, "float32", "cpu", TINY_INT8)
    requests = [
        LLRequest("", e.fields[k]) for e in pairs(TINY_CORPUS) for k in ("sent_more", "sent_less")
    ]

    def lls(batch_size: int, packing: bool) -> list[float]:
        tokenizer = load_tokenizer(resolved)
        lm = LanguageModel(
            tokenizer=tokenizer,
            batch_size=batch_size,
            packing=packing,
            identity="tiny-int8",
            store=ResultStore(tmp_path / f"{batch_size}-{packing}"),
            load_backend=lambda: TransformersBackend(model, tokenizer, "cpu"),
        )
        return [r.logprob for r in loglikelihood(lm, requests)]

    alone = lls(1, False)
    assert lls(8, False) != alone  # other rows and padding in the forward pass
    assert lls(1, True) != alone  # the row's packed neighbour


@pytest.mark.parametrize("quantization", [TINY_INT8, DYNAMIC_INT8], ids=["bnb-int8", "dynamic-int8"])
def test_tiny_int8_scores_are_bit_identical_across_batch_sizes(tiny_checkpoint, tmp_path, quantization):
    examples = pairs(TINY_CORPUS)
    by_batch = {
        b: crows_lls(tiny_checkpoint, quantization, examples, b, tmp_path / str(b)) for b in (1, 3, 8)
    }
    assert by_batch[1] == by_batch[3] == by_batch[8]


@pytest.mark.real_model
def test_real_int8_scores_are_bit_identical_across_batch_sizes(real_checkpoint, tmp_path):
    examples = METRIC.dataset.load(DataSource()).examples[:6]
    one = crows_lls(real_checkpoint, REAL_INT8, examples, 1, tmp_path / "1")
    eight = crows_lls(real_checkpoint, REAL_INT8, examples, 8, tmp_path / "8")
    assert one == eight

