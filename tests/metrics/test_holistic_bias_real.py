"""HolisticBias Likelihood Bias on the real shipped model: the authors' computation on
perplexities from plain transformers against the metric on fairgate's records."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from engine.datasets import holistic_bias as data
from engine.datasets.base import DataSource
from engine.metrics import holistic_bias
from tests.helpers import checkpoint_lm
from tests.metrics.test_holistic_bias_metric import authors_shares

pytestmark = pytest.mark.real_model

# Four descriptors of two axes and of the nonce control (8 sentences each, 96 in all): enough
# for pairs that do and do not differ, small enough for seconds on a CPU.
AXES = ("religion", "age", "nonce")


@torch.inference_mode()
def plain_perplexities(checkpoint, prefix_token_id: int, sentences: list[str]) -> list[float]:
    """ParlAI's per-sentence `ppl`: exp of the mean token NLL, each sentence after the prefix
    token, in one right-padded batch (causal attention: padding after a sentence cannot
    change it)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForCausalLM.from_pretrained(checkpoint, dtype=torch.float32).eval()
    rows = [[prefix_token_id] + tokenizer.encode(s, add_special_tokens=False) for s in sentences]
    width = max(len(r) for r in rows)
    ids = torch.tensor([r + [prefix_token_id] * (width - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
    logprobs = torch.log_softmax(model(ids, attention_mask=mask).logits[:, :-1], dim=-1)
    token_lp = logprobs.gather(-1, ids[:, 1:, None])[..., 0]
    return [math.exp(-token_lp[k, : len(r) - 1].mean().item()) for k, r in enumerate(rows)]


def test_likelihood_bias_matches_the_authors_computation(real_checkpoint, tmp_path):
    loaded = data.load(DataSource()).examples
    examples = [e for axis in AXES for e in [x for x in loaded if x.subgroup == axis][:4]]
    lm = checkpoint_lm(real_checkpoint, tmp_path / "store", batch_size=16)
    records = holistic_bias.score(lm, examples)

    sentences = [s["text"] for e in examples for s in e.fields["sentences"]]
    expected = plain_perplexities(real_checkpoint, lm.prefix_token_id, sentences)
    ours = np.concatenate([holistic_bias.sentence_perplexities(r) for r in records])
    assert np.allclose(ours, expected, rtol=1e-4, atol=0)

    # The authors' loop on plain transformers' perplexities, one bin per axis.
    plain = iter(expected)
    plain_records = [
        {**r, "sentences": [{"ll": -math.log(next(plain)), "n_tokens": 1} for _ in r["sentences"]]}
        for r in records
    ]
    shares = authors_shares(plain_records)
    for axis in AXES:
        mine = [r for r in records if r["axis"] == axis]
        assert holistic_bias.likelihood_bias(mine) == shares[axis]
    assert holistic_bias.likelihood_bias(records) == pytest.approx(
        (shares["religion"] + shares["age"]) / 2, abs=1e-15
    )
    # A bootstrap row of ones is the plain value.
    assert holistic_bias.likelihood_bias(records, np.ones((2, len(records))))[1] == (
        holistic_bias.likelihood_bias(records)
    )
