"""A model as scoring sees it: tokenizer, batch size, cache identity, and a backend holding
the weights, loaded only when a batch is not in the cache (a warm run never loads a model)."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Any, Callable

from engine.scoring.backend import Backend
from engine.scoring.text_scores import TextScorers
from engine.store import ResultStore


@dataclass
class LanguageModel:
    tokenizer: Any
    batch_size: int
    identity: str  # a hash of everything that determines the model's outputs
    store: ResultStore
    load_backend: Callable[[], Backend]
    # A packed row's custom attention mask replaces the model's own, so with sliding-window
    # attention a row must fit the window.
    max_packed_width: int | None = None
    # False for a batch-dependent method (LLM.int8), together with batch size 1: two requests
    # packed into a row share a forward pass as much as two rows of a batch do.
    packing: bool = True
    # The spec's `prefix_token`, as an id of this model's tokenizer; None: BOS, else EOS.
    custom_prefix_token_id: int | None = None
    cache_hits: int = 0
    batches_computed: int = 0
    # Of generation batches computed (not read from the cache), for a tokens/s throughput.
    generated_tokens: int = 0
    generation_seconds: float = 0.0
    # The run's text classifiers, for metrics that score generated text; None: this
    # model's own, through its store.
    text_scorers: TextScorers | None = None
    _backend: Backend | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.text_scorers is None:
            self.text_scorers = TextScorers(self.store)

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = self.load_backend()
        return self._backend

    @property
    def loaded(self) -> bool:
        return self._backend is not None

    def free(self) -> None:
        """Drops the weights; a backend running its engine elsewhere (vLLM) is closed, which
        frees that engine's memory too."""
        close = getattr(self._backend, "close", None)
        self._backend = None
        if close is not None:
            close()
        gc.collect()

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def encode_context(self, text: str) -> list[int]:
        """A text that starts a sequence, with the special tokens the tokenizer adds by default,
        as lm-evaluation-harness encodes contexts and prompts: none for SmolLM2, `<bos>` for
        Gemma, which scores far worse without it."""
        return self.tokenizer.encode(text)

    @property
    def prefix_token_id(self) -> int:
        """What an empty context becomes. lm-evaluation-harness's choice (BOS, else EOS) by
        default, though for chat models such as SmolLM2-Instruct the BOS is a turn opener
        (`<|im_start|>`), so a spec may name another token."""
        if self.custom_prefix_token_id is not None:
            return self.custom_prefix_token_id
        tok = self.tokenizer
        return tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id


def single_token_id(tokenizer: Any, token: str) -> int:
    """The id of `token`, a text the tokenizer encodes as exactly one token (special tokens
    such as `<|endoftext|>` included); raises ValueError otherwise."""
    ids = tokenizer.encode(token, add_special_tokens=False)
    if len(ids) != 1:
        # The special tokens are the usual choices; some tokenizers list hundreds.
        special = ", ".join(repr(t) for t in tokenizer.all_special_tokens[:8])
        raise ValueError(
            f"{token!r} is not a single token: the tokenizer encodes it as {len(ids)} tokens "
            f"{ids} (its special tokens: {special})"
        )
    return ids[0]
