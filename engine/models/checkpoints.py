"""Checkpoints that arrive already quantized (bitsandbytes or HQQ saved, GPTQ, AWQ, ...).

transformers loads them through the `quantization_config` in their config.json, and only
when that method's backend is installed. It finds out deep inside `from_pretrained`; asking
transformers' own quantizer for that method first (its `validate_environment`, which names
the package it needs) turns a missing backend into a clear error before any weight is read,
and keeps the method-to-package mapping where transformers maintains it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

# transformers' quantizers say what to install as "`pip install NAME`" or "pip install NAME".
_PIP_INSTALL = re.compile(r"pip install (?:-U )?['\"]?([A-Za-z0-9_.\-\[\]<>=]+)")


class QuantizationBackendMissing(RuntimeError):
    def __init__(self, config_file: Path, method: str, reason: Exception) -> None:
        self.method = method
        self.package = _package_named(reason)
        super().__init__(
            f"{config_file} declares quantization_config.quant_method = {method!r}, and "
            f"transformers cannot load that method here: {reason}"
        )

    @property
    def fix(self) -> str:
        if self.package:
            install = f"install `{self.package}` (`pip install {self.package}`)"
        else:
            install = (
                f"install the backend transformers needs for {self.method} (or a transformers "
                "version that knows the method)"
            )
        return f"{install}, or point `model` at a checkpoint that is not pre-quantized"


def _package_named(reason: Exception) -> str | None:
    found = _PIP_INSTALL.search(str(reason))
    if found:
        return found.group(1).rstrip("'\"`")
    # A package that is there only in part (optimum-quanto brings the `optimum` namespace
    # without `optimum.gptq`) fails on import instead: name the missing module's top level.
    if isinstance(reason, ModuleNotFoundError) and reason.name:
        return reason.name.split(".")[0]
    return None


def checkpoint_quantization(folder: Path) -> dict[str, Any] | None:
    """The `quantization_config` a checkpoint's config.json brings, if any."""
    config = Path(folder) / "config.json"
    if not config.is_file():
        return None
    return json.loads(config.read_text(encoding="utf-8")).get("quantization_config")


def check_backend(folder: Path) -> None:
    """Raises QuantizationBackendMissing when transformers cannot load this checkpoint's
    quantization method with the packages installed here."""
    declared = checkpoint_quantization(folder)
    if declared is None:
        return
    from transformers.quantizers.auto import AutoHfQuantizer

    method = str(declared.get("quant_method", "unknown"))
    try:
        quantizer = AutoHfQuantizer.from_config(declared, pre_quantized=True)
        quantizer.validate_environment(device_map=None)
    # ImportError: a missing package; RuntimeError: a backend that needs hardware absent
    # here (GPTQ without gptqmodel wants a GPU); ValueError: a method transformers lacks.
    except (ImportError, RuntimeError, ValueError) as e:
        raise QuantizationBackendMissing(Path(folder) / "config.json", method, e) from e
