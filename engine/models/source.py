"""Where a model comes from: `builtin:NAME`, a local checkpoint directory, or a hub id.

Every source resolves to a local directory of safetensors files and an identity: the hash of
those files, so a cache entry can never be reused for different weights.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from engine.models import builtin, checkpoints
from engine.models.hashing import directory_sha256

BUILTIN_PREFIX = "builtin:"
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")
HUB_PATTERNS = ["*.json", "*.safetensors", "*.model", "*.txt", "*.tiktoken"]


class ModelSourceError(ValueError):
    pass


@dataclass(frozen=True)
class ModelRef:
    model: str
    revision: str | None = None
    base_dir: Path = Path(".")  # relative paths are relative to the spec file

    @property
    def kind(self) -> str:
        if self.model.startswith(BUILTIN_PREFIX):
            return "builtin"
        if self.model.startswith((".", "/", "~")) or (self.base_dir / self.model).exists():
            return "local"
        if HUB_ID.match(self.model):
            return "hub"
        return "local"

    @property
    def local_path(self) -> Path:
        return (self.base_dir / Path(self.model).expanduser()).resolve()


@dataclass(frozen=True)
class ResolvedModel:
    ref: ModelRef
    path: Path
    sha256: str

    def describe(self) -> dict:
        return {
            "model": self.ref.model,
            "kind": self.ref.kind,
            "revision": self.ref.revision,
            "path": str(self.path),
            "sha256": self.sha256,
        }


def check_ref(ref: ModelRef) -> None:
    """What can be checked without loading anything; raises ModelSourceError."""
    if ref.kind == "builtin":
        name = ref.model[len(BUILTIN_PREFIX) :]
        if name not in builtin.BUILTINS:
            raise ModelSourceError(
                f"unknown builtin model {name!r}; known: {', '.join(sorted(builtin.BUILTINS))}"
            )
    elif ref.kind == "local":
        path = ref.local_path
        if not path.is_dir():
            raise ModelSourceError(f"model path {path} does not exist or is not a directory")
        if not any(path.glob("*.safetensors")):
            raise ModelSourceError(
                f"{path} has no *.safetensors weights; only safetensors checkpoints are loaded"
            )


def resolve(
    ref: ModelRef,
    progress: Callable[[str, int, int], None] | None = None,
    cache_root: Path | None = None,
) -> ResolvedModel:
    """`progress` follows a builtin model's conversion, the first time it is used;
    `cache_root` keeps converted builtin models and file hashes (default: the fairgate cache)."""
    check_ref(ref)
    if ref.kind == "builtin":
        path = builtin.checkpoint(ref.model[len(BUILTIN_PREFIX) :], cache_root, progress)
    elif ref.kind == "hub":
        from huggingface_hub import snapshot_download

        path = Path(
            snapshot_download(ref.model, revision=ref.revision, allow_patterns=HUB_PATTERNS)
        )
        if not any(path.glob("*.safetensors")):
            raise ModelSourceError(
                f"{ref.model} has no safetensors weights; only safetensors checkpoints are loaded"
            )
    else:
        path = ref.local_path
    checkpoints.check_backend(path)  # a pre-quantized checkpoint whose backend is missing
    return ResolvedModel(ref, path, directory_sha256(path, cache_root))
