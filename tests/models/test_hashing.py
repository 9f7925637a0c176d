"""File hashes and their memo, kept under the cache root a caller names."""

from __future__ import annotations

import hashlib

from engine.models.hashing import file_sha256


def test_the_memo_lives_under_the_cache_root_given_and_answers_again(tmp_path):
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"weights")
    expected = hashlib.sha256(b"weights").hexdigest()
    root = tmp_path / "cache"
    assert file_sha256(weights, root) == expected
    [memo] = (root / "file-hashes").iterdir()
    memo.write_text(memo.read_text().replace(expected, "remembered"))
    assert file_sha256(weights, root) == "remembered"  # read from the memo, not the file
