"""What a result depends on besides the spec: library versions and the machine."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

from engine import compression

LIBRARIES = ("fairgate", "torch", "transformers", *compression.packages(), "tokenizers", "numpy")


def library_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def machine() -> dict:
    import torch

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
