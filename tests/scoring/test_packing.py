"""Packing sequences that share a prefix: which rows are planned and how a row is laid out."""

from __future__ import annotations

from engine.scoring.packing import MIN_SHARED, Row, plan_rows

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
