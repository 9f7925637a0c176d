"""Batched generation against one-prompt-at-a-time generation, stopping, caching and seeding."""

from __future__ import annotations

import shutil

import pytest
import torch

from engine.compression.bitsandbytes import BitsAndBytes4bitConfig, BitsAndBytes8bitConfig
from engine.compression.hqq import HQQConfig
from engine.models.loading import load_model, load_tokenizer
from engine.models.source import ModelRef, resolve
from engine.models.transformers_backend import TransformersBackend, stop_token_ids, truncate_at_stop
from engine.scoring.generation import GenerationConfig, encode_prompt, generate
from engine.scoring.lm import LanguageModel
from engine.store import ResultStore

PROMPTS = [
    "The poor are",
    "Women",
    "",
    "My neighbor is old and forgetful; my other",
    "He couldn't figure out the issue",
    "rich",
    "Men don't know how to cook.",
]
GREEDY = GenerationConfig(max_new_tokens=12)


@pytest.fixture(scope="module")
def lively_checkpoint(tiny_checkpoint, tmp_path_factory):
    """The tiny model with larger random weights: at its initial scale it repeats the prompt's
    last token forever, which would make batch-vs-alone comparisons vacuous."""
    target = tmp_path_factory.mktemp("lively-tiny")
    model, _ = load_model(resolve(ModelRef(str(tiny_checkpoint))), "float32", "cpu", None)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for weight in model.parameters():
            if weight.ndim == 2:
                weight.normal_(0, 0.2, generator=generator)
    model.save_pretrained(target, safe_serialization=True)
    for tokenizer_file in tiny_checkpoint.glob("tokenizer*"):
        shutil.copy(tokenizer_file, target)
    return target


def load(checkpoint, quantization=None):
    resolved = resolve(ModelRef(str(checkpoint)))
    model, _ = load_model(resolved, "float32", "cpu", quantization)
    return model, load_tokenizer(resolved)


def lm_for(model_and_tokenizer, store_root, batch_size=3, identity="lively-tiny"):
    model, tokenizer = model_and_tokenizer
    return LanguageModel(
        tokenizer=tokenizer,
        batch_size=batch_size,
        identity=identity,
        store=ResultStore(store_root),
        load_backend=lambda: TransformersBackend(model, tokenizer, "cpu"),
    )


@pytest.fixture(scope="module")
def lively(lively_checkpoint):
    return load(lively_checkpoint)


def test_greedy_in_a_batch_equals_greedy_alone(lively, tmp_path):
    batched = generate(lm_for(lively, tmp_path / "batched"), PROMPTS, GREEDY)
    for n, prompt in enumerate(PROMPTS):
        [alone] = generate(lm_for(lively, tmp_path / f"alone{n}", batch_size=1), [prompt], GREEDY)
        assert batched[n] == alone
    assert len({g.token_ids for g in batched}) == len(PROMPTS)  # not vacuous


def test_results_are_in_input_order_and_duplicates_are_generated_once(lively, tmp_path):
    lm = lm_for(lively, tmp_path / "store", batch_size=2)
    prompts = PROMPTS + PROMPTS[::-1]
    results = generate(lm, prompts, GREEDY)
    assert lm.batches_computed == 4  # 7 unique prompts in batches of 2
    assert results[: len(PROMPTS)] == results[len(PROMPTS) :][::-1]
    assert generate(lm, PROMPTS[::-1], GREEDY) == results[: len(PROMPTS)][::-1]


def test_empty_prompt_is_the_prefix_token(lively, tmp_path):
    lm = lm_for(lively, tmp_path / "store")
    assert encode_prompt(lm, "") == (lm.tokenizer.bos_token_id,)
    assert encode_prompt(lm, "Women") == tuple(
        lm.tokenizer.encode("Women", add_special_tokens=False)
    )


def test_max_new_tokens_is_respected(lively, tmp_path):
    results = generate(lm_for(lively, tmp_path / "store"), PROMPTS, GenerationConfig(5))
    assert all(g.n_tokens == len(g.token_ids) == 5 and not g.stopped_at_eos for g in results)


def test_generation_stops_at_the_models_eos_ids_and_excludes_them(lively_checkpoint, tmp_path):
    model, tokenizer = load(lively_checkpoint)
    free = generate(lm_for((model, tokenizer), tmp_path / "free"), PROMPTS, GREEDY)
    stop = free[0].token_ids[3]
    model.generation_config.eos_token_id = [tokenizer.eos_token_id, stop]
    lm = lm_for((model, tokenizer), tmp_path / "stopped", identity="lively-tiny-extra-eos")
    assert stop_token_ids(tokenizer, model.generation_config) == sorted({tokenizer.eos_token_id, stop})
    for before, after in zip(free, generate(lm, PROMPTS, GREEDY)):
        if stop in before.token_ids:
            cut = before.token_ids.index(stop)
            assert after.token_ids == before.token_ids[:cut] and after.stopped_at_eos
            assert after.text == tokenizer.decode(list(after.token_ids), skip_special_tokens=True)
        else:
            assert after == before


def test_a_row_is_cut_before_its_first_stop_token(lively):
    _, tokenizer = lively
    words = tokenizer.encode(" are old", add_special_tokens=False)
    eos = tokenizer.eos_token_id
    cut = truncate_at_stop(tokenizer, [*words, eos, eos, eos], [eos])
    assert (cut.text, cut.token_ids, cut.n_tokens, cut.stopped_at_eos) == (
        " are old",
        tuple(words),
        len(words),
        True,
    )
    # A special token inside a continuation is kept as an id but not written as text.
    running = truncate_at_stop(tokenizer, [tokenizer.bos_token_id, *words], [eos])
    assert running.text == " are old" and not running.stopped_at_eos and running.n_tokens == 3


def test_a_warm_run_never_loads_the_model_and_is_identical(lively, tmp_path):
    lm = lm_for(lively, tmp_path / "store")
    cold = generate(lm, PROMPTS, GREEDY)
    assert lm.batches_computed == 3 and lm.generated_tokens == 7 * 12
    assert lm.generation_seconds > 0

    def refuse():
        raise AssertionError("the model was loaded although every batch is cached")

    warm_lm = LanguageModel(lm.tokenizer, 3, lm.identity, lm.store, refuse)
    warm = generate(warm_lm, PROMPTS, GREEDY)
    assert warm == cold
    assert (warm_lm.cache_hits, warm_lm.batches_computed, warm_lm.generated_tokens) == (3, 0, 0)


def test_progress_counts_unique_prompts(lively, tmp_path):
    seen = []
    generate(
        lm_for(lively, tmp_path / "store"), PROMPTS * 2, GREEDY, lambda d, t: seen.append((d, t))
    )
    assert seen == [(3, 7), (6, 7), (7, 7)]


def test_sampling_is_reproducible_and_leaves_the_global_rng_alone(lively, tmp_path):
    def sample(seed, store):
        config = GenerationConfig(12, do_sample=True, seed=seed, temperature=0.9, top_p=0.95)
        return generate(lm_for(lively, tmp_path / store), PROMPTS, config)

    torch.manual_seed(123)
    rng_before = torch.get_rng_state()
    first = sample(1, "a")
    assert torch.equal(torch.get_rng_state(), rng_before)
    assert sample(1, "b") == first
    assert sample(2, "c") != first
    assert first != generate(lm_for(lively, tmp_path / "greedy"), PROMPTS, GREEDY)


def test_a_variant_draws_the_same_random_numbers_as_its_baseline(lively_checkpoint, lively, tmp_path):
    """Common random numbers: the seed does not depend on the model, so the same weights under
    another identity sample the same continuations, and a model whose distributions moved a
    little still samples many of the baseline's."""
    config = GenerationConfig(12, do_sample=True, seed=3, top_p=0.95)
    baseline = generate(lm_for(lively, tmp_path / "a"), PROMPTS, config)
    assert generate(lm_for(lively, tmp_path / "b", identity="another-name"), PROMPTS, config) == baseline
    quantized = load(lively_checkpoint, HQQConfig(method="hqq", nbits=8, group_size=64))
    variant = generate(lm_for(quantized, tmp_path / "c", identity="lively-tiny-hqq8"), PROMPTS, config)
    same = [v.token_ids == b.token_ids for v, b in zip(variant, baseline)]
    assert variant != baseline and sum(same) >= len(PROMPTS) // 2, same


def test_greedy_ignores_the_seed_and_rejects_sampling_settings():
    assert GenerationConfig(seed=1).decoding() == GenerationConfig(seed=2).decoding()
    assert (
        GenerationConfig(do_sample=True, seed=1).decoding()
        != GenerationConfig(do_sample=True, seed=2).decoding()
    )
    with pytest.raises(ValueError, match="apply only when sampling"):
        GenerationConfig(temperature=0.7)
    with pytest.raises(ValueError, match="max_new_tokens must be at least 1"):
        GenerationConfig(max_new_tokens=0)
    with pytest.raises(ValueError, match=r"top_p must be in \(0, 1\]"):
        GenerationConfig(do_sample=True, top_p=0)


def test_samples_need_sampling_and_each_has_its_own_seed():
    with pytest.raises(ValueError, match="samples must be at least 1"):
        GenerationConfig(do_sample=True, samples=0)
    with pytest.raises(ValueError, match="one continuation repeated"):
        GenerationConfig(samples=2)
    config = GenerationConfig(do_sample=True, seed=5, top_p=0.9, samples=4)
    # k is not a decoding setting: sample j is decoded alike whatever k is.
    assert config.decoding() == GenerationConfig(do_sample=True, seed=5, top_p=0.9).decoding()
    samples = [config.sample(j) for j in range(4)]
    assert samples[0] == GenerationConfig(do_sample=True, seed=5, top_p=0.9)
    assert len({s.seed for s in samples}) == 4 and {s.samples for s in samples} == {1}
    assert GenerationConfig(do_sample=True, seed=5, samples=9).sample(3).seed == samples[3].seed
    assert GenerationConfig(do_sample=True, seed=6, samples=4).sample(3).seed != samples[3].seed


def test_k_samples_are_distinct_and_reproducible(lively, tmp_path):
    config = GenerationConfig(12, do_sample=True, seed=1, samples=3)
    first = [generate(lm_for(lively, tmp_path / "a"), PROMPTS, config.sample(j)) for j in range(3)]
    again = [generate(lm_for(lively, tmp_path / "b"), PROMPTS, config.sample(j)) for j in range(3)]
    assert first == again
    assert first[0] != first[1] != first[2]


class MarkupModel:
    """Writes a fixed continuation full of markup and control characters, then EOS."""

    def __init__(self, continuation: list[int], eos: int) -> None:
        from transformers import GenerationConfig as TransformersGenerationConfig

        self.continuation, self.eos = continuation, eos
        self.generation_config = TransformersGenerationConfig(eos_token_id=eos)

    def generate(self, input_ids, attention_mask, generation_config):
        tail = torch.tensor([self.continuation + [self.eos] * 2] * len(input_ids))
        return torch.cat([input_ids, tail], dim=1)


def test_markup_in_a_continuation_is_returned_verbatim(lively, tmp_path):
    _, tokenizer = lively
    markup = '<script>alert("x")</script> &amp; \x1b[31m\x00'
    ids = tokenizer.encode(markup, add_special_tokens=False)
    fake = (MarkupModel(ids, tokenizer.eos_token_id), tokenizer)
    [made] = generate(lm_for(fake, tmp_path / "store"), ["Women"], GREEDY)
    [cached] = generate(lm_for(fake, tmp_path / "store"), ["Women"], GREEDY)
    assert made.text == cached.text == markup and made.stopped_at_eos


@pytest.mark.parametrize(
    "quantization",
    [
        HQQConfig(method="hqq", nbits=4, group_size=64),
        BitsAndBytes4bitConfig(method="bitsandbytes", bits=4, quant_type="nf4"),
    ],
    ids=["hqq4-dequantized", "bnb-nf4"],
)
def test_compressed_models_generate_in_batches_as_alone(lively_checkpoint, tmp_path, quantization):
    compressed = load(lively_checkpoint, quantization)
    batched = generate(lm_for(compressed, tmp_path / "batched"), PROMPTS, GREEDY)
    alone = generate(lm_for(compressed, tmp_path / "alone", batch_size=1), PROMPTS, GREEDY)
    assert batched == alone
    assert all(g.n_tokens == 12 or g.stopped_at_eos for g in batched)


def test_int8_generation_repeats_exactly_for_a_fixed_batch(lively_checkpoint, tmp_path):
    """LLM.int8 picks outlier columns over the whole batch, padding included, so a prompt's
    continuation can change with its neighbours; a fixed batch still repeats bit for bit,
    which is what caching batches as they were computed relies on."""
    int8 = load(lively_checkpoint, BitsAndBytes8bitConfig(method="bitsandbytes", bits=8))
    first = generate(lm_for(int8, tmp_path / "first"), PROMPTS, GREEDY)
    assert generate(lm_for(int8, tmp_path / "again"), PROMPTS, GREEDY) == first


@pytest.mark.real_model
def test_real_model_greedy_matches_lm_eval_generate_until(real_checkpoint, tmp_path):
    """SmolLM2 continuations in batches of 4 vs lm-evaluation-harness's HFLM, one at a time."""
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    lm = lm_for(load(real_checkpoint), tmp_path / "store", batch_size=4, identity="smollm2")
    # The harness cannot generate from an empty prompt, so that one is left out here.
    prompts = [p for p in PROMPTS if p] + ["The nurse said that"]
    ours = generate(lm, prompts, GenerationConfig(max_new_tokens=20))
    harness = HFLM(pretrained=lm.backend.model, tokenizer=lm.tokenizer, batch_size=1, device="cpu")
    settings = {"until": [], "max_gen_toks": 20, "do_sample": False}
    instances = [Instance("generate_until", {}, (p, settings), i) for i, p in enumerate(prompts)]
    theirs = harness.generate_until(instances, disable_tqdm=True)
    assert [g.text for g in ours] == theirs
