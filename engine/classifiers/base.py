"""What every text classifier offers the metrics: a name, an identity, and batched scores.

A scorer's `identity` names everything its outputs depend on (library versions and the
content hashes of the weights and lexicons it reads), so a cache key that includes it is
invalidated when any of them changes. Scores are plain floats, one per text, in input order.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from engine.models.hashing import file_sha256


class ClassifierError(ValueError):
    """A scorer that cannot be built as asked; the message names the option or file at fault."""


class Scorer(Protocol):
    name: str
    identity: str

    def score(self, texts: Sequence[str]) -> list[float]: ...


def distribution_version(distribution: str) -> str:
    return f"{distribution}=={importlib.metadata.version(distribution)}"


def packaged_file(distribution: str, relative_path: str) -> Path:
    """A data file an installed distribution ships, found without importing its package."""
    path = Path(importlib.metadata.distribution(distribution).locate_file(relative_path))
    if not path.is_file():
        raise ClassifierError(f"{distribution} is installed without its data file {relative_path} ({path})")
    return path


def packaged_files_identity(distribution: str, relative_paths: Sequence[str]) -> str:
    hashes = [f"{p}=sha256:{file_sha256(packaged_file(distribution, p))}" for p in relative_paths]
    return " ".join([distribution_version(distribution), *hashes])
