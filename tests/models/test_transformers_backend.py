"""The transformers backend's packed rows: the attention mask that keeps members apart."""

from __future__ import annotations

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
