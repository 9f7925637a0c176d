"""The transformers backend's packed rows: the attention mask that keeps members apart."""

from __future__ import annotations

import math

import pytest
import torch

from engine.models.transformers_backend import batch_tensors
from engine.scoring.packing import Row

C = ((1, 40, 41), 2)


def test_mask_hides_the_other_suffix_and_padding():
    long_a = ((1, 10, 11, 12, 13, 20, 21, 22), 7)
    long_b = ((1, 10, 11, 12, 13, 30, 31), 6)
    packed = Row(5, (long_b, long_a))
    single = Row(2, (C,))
    t = batch_tensors([packed, single], pad_id=0, dtype=torch.float32)
    allowed = t["attention_mask"][:, 0] == 0
    assert t["input_ids"][0].tolist() == [1, 10, 11, 12, 13, 30, 20, 21]
    assert t["position_ids"][0].tolist() == [0, 1, 2, 3, 4, 5, 5, 6]
    assert allowed[0, 6].tolist() == [True] * 5 + [False, True, False]  # A's 20 sees prefix, itself
    assert allowed[0, 5].tolist() == [True] * 6 + [False, False]  # B's 30 does not see A
    assert allowed[1, 3].tolist() == [False, False, False, True] + [False] * 4  # padding: itself


def test_each_member_of_a_wide_row_scores_as_if_it_were_alone(tiny_checkpoint):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from engine.models.transformers_backend import TransformersBackend
    from engine.scoring.packing import plan_rows

    model = AutoModelForCausalLM.from_pretrained(tiny_checkpoint, dtype=torch.float32)
    backend = TransformersBackend(model, AutoTokenizer.from_pretrained(tiny_checkpoint), "cpu")
    prompt = (1, 50, 51, 52, 53, 54, 55, 56)
    answers = [(prompt + (60 + k, 70 + k, 80 + k), 3) for k in range(4)]
    (row,) = plan_rows(answers)
    assert len(row.members) == 4
    packed = backend.loglikelihoods([row])
    alone = backend.loglikelihoods([Row(len(a[0]) - 1, (a,)) for a in answers])
    for p, a in zip(packed, alone):
        assert p.logprob == pytest.approx(a.logprob, abs=1e-5) and p.is_greedy == a.is_greedy


def test_a_nan_member_does_not_spread_to_the_others_in_its_row(tiny_checkpoint):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from engine.models.transformers_backend import TransformersBackend
    from engine.scoring.packing import plan_rows

    model = AutoModelForCausalLM.from_pretrained(tiny_checkpoint, dtype=torch.float32)
    with torch.no_grad():
        # Untied first, so that only sequences holding token 99 read a NaN.
        model.lm_head.weight = torch.nn.Parameter(model.lm_head.weight.clone())
        model.get_input_embeddings().weight[99] = float("nan")
    backend = TransformersBackend(model, AutoTokenizer.from_pretrained(tiny_checkpoint), "cpu")
    prompt = (1, 50, 51, 52, 53, 54, 55, 56)
    answers = [(prompt + (60 + k, 70 + k), 2) for k in range(3)] + [(prompt + (99, 71), 2)]
    (row,) = plan_rows(answers)
    results = backend.loglikelihoods([row])
    alone = backend.loglikelihoods([Row(len(a[0]) - 1, (a,)) for a in answers])
    assert [math.isnan(r.logprob) for r in results] == [False, False, False, True]
    assert [r.logprob for r in results[:3]] == pytest.approx([r.logprob for r in alone[:3]], abs=1e-5)
