"""Packing sequences that share a prefix: the plan, the mask, and unchanged log-likelihoods."""

from __future__ import annotations

import torch

from engine.scoring.packing import MIN_SHARED, Row, batch_tensors, plan_rows

A = ((1, 10, 11, 12, 13, 20, 21), 6)
B = ((1, 10, 11, 12, 13, 30), 5)
C = ((1, 40, 41), 2)


def test_pairs_with_a_long_common_prefix_share_a_row():
    rows = plan_rows([A, C, B, A])
    assert Row(5, (A, B)) in rows and Row(2, (C,)) in rows and len(rows) == 2
    shared = next(r for r in rows if len(r.members) == 2)
    ids, positions, segments = shared.layout()
    assert ids == [1, 10, 11, 12, 13, 20]  # the prefix once, A's own input; B has none left
    assert positions == [0, 1, 2, 3, 4, 5]
    assert segments == [0, 0, 0, 0, 0, 1]
    assert shared.target_positions(0) == ([0, 1, 2, 3, 4, 5], [10, 11, 12, 13, 20, 21])
    # B's last token (30) is predicted from the prefix's last position.
    assert shared.target_positions(1) == ([0, 1, 2, 3, 4], [10, 11, 12, 13, 30])


def test_short_common_prefix_is_not_packed():
    x = ((1, 2, 3, 4, 5), 4)
    y = ((1, 2, 9, 9, 9), 4)
    assert MIN_SHARED > 2
    assert all(len(r.members) == 1 for r in plan_rows([x, y]))


def test_width_limit_keeps_rows_within_a_sliding_window():
    assert all(len(r.members) == 1 for r in plan_rows([A, B], max_width=5))


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
