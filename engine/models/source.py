"""Where a model comes from: `builtin:NAME`, a local checkpoint directory, a local GGUF file,
or a hub id.

Every source resolves to a local directory of safetensors files and an identity: the hash of
those files, so a cache entry can never be reused for different weights. A GGUF file (and a
builtin model, shipped as one) is converted once to such a directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

from engine.models import builtin, checkpoints, gguf_files
from engine.models.hashing import directory_sha256

BUILTIN_PREFIX = "builtin:"
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")
HUB_PATTERNS = ["*.json", "*.safetensors", "*.model", "*.txt", "*.tiktoken"]
GGUF_SUFFIX = ".gguf"


class ModelSourceError(ValueError):
    pass


class GgufBuild(Protocol):
    """A step that writes a new GGUF from the model's own GGUF before anything is loaded."""

    def build_gguf(
        self, source: Path, cache_root: Path | None, progress: Callable[[str, int, int], None] | None
    ) -> Path: ...


class CheckpointBuild(Protocol):
    """A step that builds a new checkpoint from the model's own before anything is loaded."""

    def build_checkpoint(
        self,
        source: Path,
        source_sha256: str,
        cache_root: Path | None,
        progress: Callable[[str, int, int], None] | None,
    ) -> Path: ...


@dataclass(frozen=True)
class ModelRef:
    model: str
    revision: str | None = None
    base_dir: Path = Path(".")  # relative paths are relative to the spec file

    @property
    def kind(self) -> str:
        if self.model.startswith(BUILTIN_PREFIX):
            return "builtin"
        if self.model.lower().endswith(GGUF_SUFFIX):
            return "gguf"
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
    # The GGUF the weights were dequantized from (gguf_files.quantization), for a model named
    # by its GGUF file or built as one; None for a checkpoint and a builtin model as shipped.
    gguf: dict | None = None

    def describe(self) -> dict:
        described = {
            "model": self.ref.model,
            "kind": self.ref.kind,
            "revision": self.ref.revision,
            "path": str(self.path),
            "sha256": self.sha256,
        }
        if self.gguf is not None:
            described["gguf"] = self.gguf
        return described


def check_ref(ref: ModelRef) -> None:
    """What can be checked without loading anything; raises ModelSourceError."""
    if ref.kind == "builtin":
        name = ref.model[len(BUILTIN_PREFIX) :]
        if name not in builtin.BUILTINS:
            raise ModelSourceError(
                f"unknown builtin model {name!r}; known: {', '.join(sorted(builtin.BUILTINS))}"
            )
    elif ref.kind == "gguf":
        try:
            gguf_files.check_loadable(ref.local_path)
        except gguf_files.NotLoadableGguf as e:
            raise ModelSourceError(str(e)) from e
    elif ref.kind == "local":
        path = ref.local_path
        if not path.is_dir():
            raise ModelSourceError(f"model path {path} does not exist or is not a directory")
        if not any(path.glob("*.safetensors")):
            raise ModelSourceError(
                f"{path} has no *.safetensors weights; only safetensors checkpoints are loaded"
            )


def gguf_file(ref: ModelRef, cache_root: Path | None = None) -> Path:
    """The GGUF file a model comes from: a builtin model's shipped file or a `.gguf` path;
    raises ModelSourceError for a model that is not a GGUF."""
    if ref.kind == "builtin":
        return builtin.gguf_path(ref.model[len(BUILTIN_PREFIX) :], cache_root)
    if ref.kind == "gguf":
        return ref.local_path
    raise ModelSourceError(f"{ref.model} is a checkpoint, not a GGUF file")


def resolve(
    ref: ModelRef,
    progress: Callable[[str, int, int], None] | None = None,
    cache_root: Path | None = None,
    build: GgufBuild | CheckpointBuild | None = None,
) -> ResolvedModel:
    """`progress` follows a GGUF's conversion (a builtin model's too), the first time it is
    used; `cache_root` keeps converted models and file hashes (default: the fairgate cache);
    `build` writes a new GGUF from the model's own, or a new checkpoint from the resolved
    one, which is then loaded instead."""
    if build is not None and getattr(build, "builds_checkpoint", False):
        base = resolve(ref, progress, cache_root)
        built = build.build_checkpoint(base.path, base.sha256, cache_root, progress)
        return ResolvedModel(ref, built, directory_sha256(built, cache_root), base.gguf)
    if ref.kind != "gguf":  # a GGUF is read and checked when it is converted, not every run
        check_ref(ref)
    if build is not None or ref.kind == "gguf":
        gguf = gguf_file(ref, cache_root)
        if build is not None:
            gguf = build.build_gguf(gguf, cache_root, progress)
        path, quantization = _converted_gguf(gguf, cache_root, progress)
        return ResolvedModel(ref, path, directory_sha256(path, cache_root), quantization)
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


def _converted_gguf(
    gguf: Path, cache_root: Path | None, progress: Callable[[str, int, int], None] | None
) -> tuple[Path, dict]:
    try:
        return gguf_files.loadable_checkpoint(gguf, cache_root, progress)
    except gguf_files.NotLoadableGguf as e:
        raise ModelSourceError(str(e)) from e
