"""Model sources: builtin, local directory, and hub ids (through the hub client's own cache)."""

from __future__ import annotations

import shutil

import pytest

from engine.models.source import ModelRef, ModelSourceError, check_ref, resolve


def test_kinds(tmp_path):
    assert ModelRef("builtin:smollm2-135m-instruct").kind == "builtin"
    assert ModelRef("./ckpt").kind == "local"
    assert ModelRef("HuggingFaceTB/SmolLM2-135M", "abc").kind == "hub"
    (tmp_path / "org" / "name").mkdir(parents=True)
    assert ModelRef("org/name", base_dir=tmp_path).kind == "local"  # an existing path wins


def test_local_directory_is_hashed_by_content(tiny_checkpoint, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_checkpoint, copy)
    a, b = resolve(ModelRef(str(tiny_checkpoint))), resolve(ModelRef(str(copy)))
    assert a.sha256 == b.sha256 and a.path != b.path


def test_local_directory_without_safetensors_is_refused(tmp_path):
    (tmp_path / "pytorch_model.bin").write_bytes(b"\x80\x04")
    with pytest.raises(ModelSourceError, match="only safetensors"):
        check_ref(ModelRef(str(tmp_path)))


def test_unknown_builtin_lists_the_known_ones():
    with pytest.raises(ModelSourceError, match="known: gemma3-270m, smollm2-135m-instruct"):
        check_ref(ModelRef("builtin:gpt5"))


def test_hub_id_resolves_through_the_hub_cache(tiny_checkpoint, tmp_path, monkeypatch):
    """A snapshot laid out as the hub client caches it loads offline via snapshot_download."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--acme--tiny-llama"
    shutil.copytree(tiny_checkpoint, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    resolved = resolve(ModelRef("acme/tiny-llama", revision=commit))
    assert resolved.path.name == commit
    assert resolved.sha256 == resolve(ModelRef(str(tiny_checkpoint))).sha256
