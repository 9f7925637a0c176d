"""The seam between scoring and a model engine.

Scoring decides what is computed and caches it: which token rows make up a batch, which
prompts are continued, under which seed. A backend only runs a batch on its engine's weights.
Keeping the batch layout on this side is what keeps cache keys the same whichever engine a
model runs on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Sequence

from engine.scoring.packing import Row

if TYPE_CHECKING:
    from engine.scoring.generation import GenerationConfig

Prompt = tuple[int, ...]


@dataclass(frozen=True)
class LLResult:
    logprob: float
    n_tokens: int
    is_greedy: bool


@dataclass(frozen=True)
class Generation:
    text: str  # special tokens skipped
    token_ids: tuple[int, ...]  # the stop token excluded
    n_tokens: int
    stopped_at_eos: bool


class Backend(Protocol):
    """A loaded model's weights on one engine."""

    def loglikelihoods(self, rows: Sequence[Row]) -> list[LLResult]:
        """For every member of every row, in order: the summed log-probability of its scored
        tokens, how many there are, and whether each is the greedy choice."""

    def generate(self, prompts: Sequence[Prompt], config: GenerationConfig, seed: int) -> list[Generation]:
        """The continuation of each prompt, decoded as `config` says and ended at the first
        stop token; a sampled batch draws from an RNG seeded with `seed` alone."""
