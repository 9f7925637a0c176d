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


PROMPT = (1, 50, 51, 52, 53, 54, 55)
ANSWERS = [(PROMPT + (60 + k, 70 + k), 2) for k in range(3)]  # one prompt, three answers


def test_a_multiple_choice_items_answers_share_one_row():
    rows = plan_rows(ANSWERS[::-1] + [C])
    assert Row(len(PROMPT), tuple(ANSWERS)) in rows and len(rows) == 2
    row = next(r for r in rows if len(r.members) == 3)
    ids, positions, segments = row.layout()
    assert ids == list(PROMPT) + [60, 61, 62]  # the prompt once, then each answer's own input
    assert positions == list(range(len(PROMPT) + 1)) + [len(PROMPT)] * 2
    assert segments == [0] * len(PROMPT) + [1, 2, 3]
    # The third answer's tokens: 62 from the prompt's last position, 72 from its own input.
    assert row.target_positions(2) == ([len(PROMPT) - 1, len(PROMPT) + 2], [62, 72])


def test_a_neighbour_joins_a_row_only_if_the_row_then_saves_more():
    # A pair sharing 5 positions saves 5; with a third member sharing 4 the row saves
    # (3 - 1) x 4 = 8, so it joins.
    pair = [((1, 10, 11, 12, 13, 20, 21), 6), ((1, 10, 11, 12, 13, 30, 31), 6)]
    near = ((1, 10, 11, 12, 40, 41), 5)
    assert [len(r.members) for r in plan_rows(pair + [near])] == [3]
    # Sharing 4 of a 9-token common start: 2 x 4 = 8 < 9 saved by the pair alone.
    long_pair = [((1, 10, 11, 12, 13, 14, 15, 16, 17, 20, 21), 10), ((1, 10, 11, 12, 13, 14, 15, 16, 17, 30), 9)]
    assert sorted(len(r.members) for r in plan_rows(long_pair + [near])) == [1, 2]


def test_rows_hold_at_most_max_members():
    many = [(PROMPT + (60 + k,), 1) for k in range(7)]
    assert [len(r.members) for r in plan_rows(many, max_members=3)] == [3, 3, 1]
    assert [len(r.members) for r in plan_rows(many, pack=False)] == [1] * 7
