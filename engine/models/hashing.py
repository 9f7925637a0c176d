"""Content hashes of model files, remembered by (path, size, mtime) so each file is read once.

The memo lives under the cache root a caller passes (default: the fairgate cache): a builtin
model's conversion keeps it next to the models it converts.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from engine.store import atomic_write_text, default_cache_root

_CHUNK = 1 << 20


def file_sha256(path: Path, cache_root: Path | None = None) -> str:
    path = Path(path).resolve()
    stat = path.stat()
    memo_key = hashlib.sha256(f"{path}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()
    memo = (cache_root or default_cache_root()) / "file-hashes" / f"{memo_key}.json"
    if memo.exists():
        return json.loads(memo.read_text())["sha256"]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    digest = h.hexdigest()
    atomic_write_text(memo, json.dumps({"path": str(path), "sha256": digest}))
    return digest


MODEL_FILE_PATTERNS = ("*.safetensors", "*.json", "*.model", "*.txt", "*.tiktoken")
# fairgate's own records of how a checkpoint was made (conversion, llm-compressor build):
# they hold paths and timings, not anything the model computes with.
RECORDS = ("fairgate-converted.json", "fairgate-build.json")


def directory_sha256(folder: Path, cache_root: Path | None = None) -> str:
    """One hash over the files that determine a checkpoint's outputs (weights, config, tokenizer)."""
    folder = Path(folder)
    files = sorted({p for pat in MODEL_FILE_PATTERNS for p in folder.glob(pat) if p.is_file()})
    h = hashlib.sha256()
    for p in files:
        if p.name in RECORDS:
            continue
        h.update(f"{p.name}:{file_sha256(p, cache_root)}\n".encode())
    return h.hexdigest()
