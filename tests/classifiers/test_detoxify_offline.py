"""detoxify through its real loading code, offline, with tiny random checkpoints.

The scores of these checkpoints mean nothing; what is tested is that the released format
loads with weights_only=True, that the weights in the file are the ones used, that scoring is
deterministic, and that every way of getting it wrong is an error saying what to pass.
"""

from __future__ import annotations

import urllib.error

import huggingface_hub.constants
import pytest
import torch

from engine.classifiers.base import ClassifierError
from engine.classifiers.registry import get_scorer
from tests.classifiers.tiny_detoxify import build_tiny_detoxify, save_detoxify_checkpoint

TEXTS = [
    "you are kind",
    "You are a stupid idiot!",
    "",
    "<script>alert('x')</script> &amp; <b>bold</b>",
    "tab\there\x00nul\x1b[31mred\u202eRTL\r\n",
    "hello world " * 400,  # longer than 512 tokens: cut, not a crash
]


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """No test here may reach the network or find a real checkpoint in the user's torch cache."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "torch-hub"))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-detoxify")
    return {kind: build_tiny_detoxify(root / kind, kind) for kind in ("original", "unbiased", "multilingual")}


def scorer_for(tiny_model, model_type="original", **options):
    return get_scorer(
        "detoxify",
        {
            "model_type": model_type,
            "checkpoint": tiny_model.checkpoint,
            "huggingface_config_path": tiny_model.config_dir,
        }
        | options,
    )


@pytest.mark.parametrize("model_type", ["original", "unbiased", "multilingual"])
def test_scores_are_probabilities_one_per_text_and_deterministic(tiny, model_type):
    scorer = scorer_for(tiny[model_type], model_type)
    scores = scorer.score(TEXTS)
    assert len(scores) == len(TEXTS)
    assert all(isinstance(s, float) and 0.0 < s < 1.0 for s in scores)
    assert scorer.score(TEXTS) == scores
    assert scorer_for(tiny[model_type], model_type).score(TEXTS) == scores
    assert scorer.score([]) == []


def test_batching_and_padding_do_not_change_scores(tiny):
    one_by_one = scorer_for(tiny["original"], batch_size=1).score(TEXTS)
    batched = scorer_for(tiny["original"], batch_size=4)
    assert batched.score(TEXTS) == pytest.approx(one_by_one, abs=1e-6)
    assert batched.score(TEXTS[::-1]) == pytest.approx(one_by_one[::-1], abs=1e-6)


def test_the_weights_in_the_file_are_the_ones_used(tiny, tmp_path):
    other = build_tiny_detoxify(tmp_path / "other", "original", seed=1)
    same_seed = build_tiny_detoxify(tmp_path / "same", "original", seed=0)
    scores = scorer_for(tiny["original"]).score(TEXTS)
    assert scorer_for(same_seed).score(TEXTS) == scores
    assert scorer_for(other).score(TEXTS) != scores


def test_identity_names_checkpoint_config_and_libraries(tiny, tmp_path):
    identity = scorer_for(tiny["original"]).identity
    for part in (
        "model_type=original",
        "checkpoint=sha256:",
        "config=sha256:",
        "detoxify==0.5.4",
        "transformers==",
        "device=cpu",
    ):
        assert part in identity
    other = build_tiny_detoxify(tmp_path / "other", "original", seed=1)
    assert scorer_for(other).identity != identity


def test_checkpoint_with_a_pickled_object_is_refused(tiny, tmp_path):
    marker = tmp_path / "unpickling-ran-code"

    class RunsCodeWhenLoaded:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    loaded = torch.load(tiny["original"].checkpoint, weights_only=True)
    crafted = tmp_path / "crafted.ckpt"
    torch.save(loaded | {"payload": RunsCodeWhenLoaded()}, crafted)
    with pytest.raises(ClassifierError, match=r"crafted.ckpt was refused by torch.load\(weights_only=True\)") as error:
        get_scorer("detoxify", {"checkpoint": crafted, "huggingface_config_path": tiny["original"].config_dir})
    assert "Unsupported global: GLOBAL io.open" in str(error.value)
    assert "weights_only=False" not in str(error.value)
    assert not marker.exists()
    torch.load(crafted, weights_only=False)  # as detoxify 0.5.4 itself loads: the payload is live
    assert marker.exists()


def test_a_file_that_is_not_a_checkpoint_is_refused(tiny, tmp_path):
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(
        ClassifierError, match=r"junk.ckpt was refused by torch.load\(weights_only=True\).*: Unsupported"
    ):
        scorer_for(tiny["original"], checkpoint=junk)


def test_checkpoint_missing_weights_is_refused(tiny, tmp_path):
    loaded = torch.load(tiny["original"].checkpoint, weights_only=True)
    state = {k: v for k, v in loaded["state_dict"].items() if not k.startswith("classifier.")}
    partial = tmp_path / "partial.ckpt"
    save_detoxify_checkpoint(
        partial, loaded["config"]["arch"]["args"], loaded["config"]["dataset"]["args"]["classes"], state
    )
    with pytest.raises(
        ClassifierError,
        match=r"partial.ckpt lacks 2 weight\(s\) of BertForSequenceClassification, e.g. classifier.bias",
    ):
        scorer_for(tiny["original"], checkpoint=partial)


def test_checkpoint_without_the_detoxify_layout_names_the_missing_key(tiny, tmp_path):
    bare = tmp_path / "bare.ckpt"
    torch.save({"state_dict": {}}, bare)
    with pytest.raises(ClassifierError, match=r"bare.ckpt has no key config; detoxify checkpoints hold"):
        scorer_for(tiny["original"], checkpoint=bare)


def test_checkpoint_naming_a_non_classifier_class_is_refused(tiny, tmp_path):
    loaded = torch.load(tiny["original"].checkpoint, weights_only=True)
    arch = loaded["config"]["arch"]["args"] | {"model_name": "pipeline"}
    odd = tmp_path / "odd.ckpt"
    save_detoxify_checkpoint(odd, arch, loaded["config"]["dataset"]["args"]["classes"], loaded["state_dict"])
    with pytest.raises(ClassifierError, match=r"config.arch.args.model_name 'pipeline' is not a transformers class"):
        scorer_for(tiny["original"], checkpoint=odd)


def test_model_type_must_match_the_checkpoint(tiny):
    with pytest.raises(ClassifierError, match=r"holds a BertForSequenceClassification, but model_type 'unbiased'"):
        scorer_for(tiny["original"], "unbiased")
    with pytest.raises(
        ClassifierError, match=r"model_type 'toxic-bert' is not one of original, unbiased, multilingual"
    ):
        scorer_for(tiny["original"], "toxic-bert")


def test_config_directory_must_match_the_checkpoint(tiny):
    with pytest.raises(
        ClassifierError,
        match=r"config.json: model_type is 'roberta', but checkpoint .* is a BertForSequenceClassification",
    ):
        scorer_for(tiny["original"], huggingface_config_path=tiny["unbiased"].config_dir)


def test_missing_files_are_named(tiny, tmp_path):
    with pytest.raises(ClassifierError, match=r"detoxify checkpoint .*nowhere.ckpt is not a file"):
        scorer_for(tiny["original"], checkpoint=tmp_path / "nowhere.ckpt")
    with pytest.raises(ClassifierError, match=r"huggingface_config_path .* has no config.json; .* bert-base-uncased"):
        scorer_for(tiny["original"], huggingface_config_path=tmp_path)


def test_offline_without_a_checkpoint_says_what_to_pass(monkeypatch):
    def no_download(*args, **kwargs):
        raise AssertionError("a download was attempted while offline")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)
    with pytest.raises(ClassifierError) as error:
        get_scorer("detoxify", {"model_type": "unbiased"})
    message = str(error.value)
    assert "HF_HUB_OFFLINE is set" in message
    assert "pass checkpoint = a local copy of https://github.com/unitaryai/detoxify/releases/" in message
    assert "v0.3-alpha/toxic_debiased-c7548aa0.ckpt" in message
    assert "huggingface_config_path = a directory with config.json and the tokenizer files of roberta-base" in message


def test_offline_without_a_config_directory_says_what_to_pass(tiny):
    with pytest.raises(
        ClassifierError,
        match=r"needs the config and tokenizer of bert-base-uncased from the hub.*huggingface_config_path",
    ):
        get_scorer("detoxify", {"checkpoint": tiny["original"].checkpoint})


def test_failed_download_says_what_to_pass(monkeypatch):
    def unreachable(url, dst, hash_prefix, progress):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(torch.hub, "download_url_to_file", unreachable)
    with pytest.raises(
        ClassifierError,
        match=r"could not download https://.*toxic_original-c1212f89.ckpt: .*Name or service not known.*checkpoint =",
    ):
        get_scorer("detoxify", {})
