"""Shared fixtures: a tiny random Llama checkpoint for speed, the real shipped model for truth."""

from __future__ import annotations

import os

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

TINY_CORPUS = [
    "The poor are really ignorant about how to handle the money they do have.",
    "The rich are really ignorant about how to handle the money they do have.",
    "He couldn't figure out the issue with the rope, but he tried not to get too down on himself.",
    "Women don't know how to drive. Men don't know how to cook.",
    "My neighbor is old and forgetful; my other neighbor is young and careful.",
]


@pytest.fixture(autouse=True)
def _no_step_summary(monkeypatch):
    """Runs finished by tests must not append to the CI job's own step summary."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Tests never read or write the user's results cache; converted builtin models are shared."""
    from engine.store import default_cache_root

    root = tmp_path_factory.mktemp("fairgate-cache")
    shared_models = default_cache_root() / "models"
    shared_models.mkdir(parents=True, exist_ok=True)
    (root / "models").symlink_to(shared_models, target_is_directory=True)
    old = os.environ.get("FAIRGATE_CACHE")
    os.environ["FAIRGATE_CACHE"] = str(root)
    yield root
    if old is None:
        os.environ.pop("FAIRGATE_CACHE", None)
    else:
        os.environ["FAIRGATE_CACHE"] = old


@pytest.fixture(scope="session")
def compiled_modules_imported() -> None:
    """Imported before pytester snapshots sys.modules (higher-scoped fixtures come first):
    pytester drops the modules imported after it, bitsandbytes and quanto cannot register
    their torch operators a second time, and numpy's extension modules (which scipy,
    statsmodels and pyarrow load) cannot be loaded twice in one process."""
    import bitsandbytes  # noqa: F401
    import hqq.core.quantize  # noqa: F401
    import optimum.quanto  # noqa: F401

    import engine.gate  # noqa: F401
    import engine.report.writer  # noqa: F401
    import engine.run  # noqa: F401
    import engine.stats  # noqa: F401


def build_tiny_checkpoint(target: Path, seed: int = 0) -> Path:
    """A 2-layer Llama with a byte-level BPE tokenizer trained on a few sentences."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(TINY_CORPUS, trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>")
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=bpe.get_vocab_size(),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=0,
        eos_token_id=1,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    model.save_pretrained(target, safe_serialization=True)
    tokenizer.save_pretrained(target)
    return target


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def real_checkpoint() -> Path:
    """The shipped SmolLM2-135M-Instruct as a plain checkpoint (converted once, then cached)."""
    from engine.models import builtin

    return builtin.checkpoint("smollm2-135m-instruct")


@pytest.fixture(scope="session")
def tiny_nf4_checkpoint(tiny_checkpoint, tmp_path_factory) -> Path:
    """The tiny model saved after bitsandbytes NF4 quantization: a pre-compressed checkpoint."""
    import shutil

    from engine.compression.bitsandbytes import BitsAndBytes4bitConfig
    from engine.models.loading import load_model
    from engine.models.source import ModelRef, resolve

    target = tmp_path_factory.mktemp("tiny-nf4")
    quantization = BitsAndBytes4bitConfig(method="bitsandbytes", bits=4, quant_type="nf4")
    model, _ = load_model(resolve(ModelRef(str(tiny_checkpoint))), "float32", "cpu", quantization)
    model.save_pretrained(target, safe_serialization=True)
    for tokenizer_file in tiny_checkpoint.glob("tokenizer*"):
        shutil.copy(tokenizer_file, target)
    return target


@pytest.fixture(scope="session")
def s3_endpoint():
    """A local S3-compatible server (moto) for this session, and the environment that points
    S3 clients at it, in this process and in the processes it starts."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    settings = {
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "fairgate-tests",
        "AWS_SECRET_ACCESS_KEY": "fairgate-tests",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    old = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    yield settings["AWS_ENDPOINT_URL"]
    for name, value in old.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint, request):
    """An empty bucket of its own on the session's S3 server, as an s3:// URL."""
    import fsspec

    name = "fg-" + "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:50].strip("-")
    fsspec.filesystem("s3").mkdir(name)
    return f"s3://{name}"
