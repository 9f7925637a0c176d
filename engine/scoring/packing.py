"""Pack sequences that share a prefix into one row, so the prefix is computed once.

Minimal pairs (CrowS-Pairs, StereoSet) differ in a word or two: their common start is about a
fifth of all tokens. A multiple-choice item (BBQ's three answers, DiscrimEval's) repeats a
long prompt once per answer. A row holds the shared prefix once, then each member's own
suffix; a backend computes every suffix so that it sees the prefix and itself but no other
member's suffix, with positions restarting after the prefix, so each member is computed
exactly as if it were alone (up to floating-point summation order). The rows are planned
here, not in a backend, because they are part of a batch's cache key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

Seq = tuple[tuple[int, ...], int]  # token ids, and how many trailing ones are scored
MIN_SHARED = 4  # a shorter common start saves less than the extra mask costs
# Members per row: enough for a multiple-choice item's answers; a longer row would widen the
# padding of every row batched with it.
MAX_MEMBERS = 8


@dataclass(frozen=True)
class Row:
    shared: int  # length of the common prefix of the members
    members: tuple[Seq, ...]  # one or more sequences that share `shared` leading tokens

    @property
    def width(self) -> int:
        """Input positions: the prefix once, then each member's remaining inputs."""
        return self.shared + sum(len(tokens) - 1 - self.shared for tokens, _ in self.members)

    def layout(self) -> tuple[list[int], list[int], list[int]]:
        """Token id, position id and segment (0: shared prefix, k: member k) of each input."""
        first = self.members[0][0]
        ids, positions, segments = list(first[: self.shared]), list(range(self.shared)), [0] * self.shared
        for k, (tokens, _) in enumerate(self.members, start=1):
            own = tokens[self.shared : -1]
            ids += own
            positions += range(self.shared, self.shared + len(own))
            segments += [k] * len(own)
        return ids, positions, segments

    def target_positions(self, member: int) -> tuple[list[int], list[int]]:
        """For one member: the row positions whose logits predict its scored tokens, and those tokens."""
        tokens, n_cont = self.members[member]
        offset = self.shared + sum(len(t) - 1 - self.shared for t, _ in self.members[:member])
        rows, targets = [], []
        for t in range(len(tokens) - n_cont, len(tokens)):
            q = t - 1  # the input position that predicts token t
            rows.append(q if q < self.shared else offset + q - self.shared)
            targets.append(tokens[t])
        return rows, targets


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def plan_rows(
    sequences: Sequence[Seq],
    max_width: int | None = None,
    pack: bool = True,
    max_members: int = MAX_MEMBERS,
) -> list[Row]:
    """Group sequences with a long common prefix; in lexicographic order they are neighbours.
    A neighbour joins a row while the positions the row saves, (members - 1) x shared prefix,
    grow. With `pack` false every sequence has a row of its own."""
    ordered = sorted(set(sequences))
    rows: list[Row] = []
    i = 0
    while i < len(ordered):
        row = Row(len(ordered[i][0]) - 1, (ordered[i],))
        i += 1
        while pack and i < len(ordered) and len(row.members) < max_members:
            candidate = ordered[i]
            shared = min(row.shared, common_prefix(row.members[0][0], candidate[0]), len(candidate[0]) - 1)
            grown = Row(shared, (*row.members, candidate))
            saves_more = len(row.members) * shared > (len(row.members) - 1) * row.shared
            if shared < MIN_SHARED or not saves_more or (max_width is not None and grown.width > max_width):
                break
            row = grown
            i += 1
        rows.append(row)
    return rows
