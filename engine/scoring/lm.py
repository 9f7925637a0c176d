"""A model as scoring sees it: tokenizer, device, batch size, cache identity, and weights that
are loaded only when a batch is not in the cache (a warm run never loads a model)."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Any, Callable

from engine.store import ResultStore


@dataclass
class LanguageModel:
    tokenizer: Any
    device: str
    batch_size: int
    identity: str  # a hash of everything that determines the model's outputs
    store: ResultStore
    load_model: Callable[[], Any]
    # A packed row's custom attention mask replaces the model's own, so with sliding-window
    # attention a row must fit the window.
    max_packed_width: int | None = None
    cache_hits: int = 0
    batches_computed: int = 0
    # Of generation batches computed (not read from the cache), for a tokens/s throughput.
    generated_tokens: int = 0
    generation_seconds: float = 0.0
    _model: Any = field(default=None, repr=False)

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = self.load_model()
        return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def free(self) -> None:
        self._model = None
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
        tok = self.tokenizer
        return tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id

    @property
    def pad_token_id(self) -> int:
        # Padded positions are masked and never read, so any valid id will do.
        tok = self.tokenizer
        for candidate in (tok.pad_token_id, tok.eos_token_id):
            if candidate is not None:
                return candidate
        return 0
