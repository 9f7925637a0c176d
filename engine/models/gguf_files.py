"""GGUF model files: what they hold (architecture, quantization types, bits per weight) and
their conversion, once, to a plain float32 safetensors checkpoint.

transformers loads a GGUF by dequantizing every tensor to float, and refuses to quantize such
a model again (bitsandbytes), so a GGUF is re-saved once as an ordinary checkpoint in the
cache, keyed by the file's content hash; everything downstream then sees a checkpoint.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Callable

from engine.models.hashing import file_sha256
from engine.store import atomic_directory, atomic_write_text, default_cache_root

MAGIC = b"GGUF"
# Tensor types that hold plain floats: a GGUF's quantization is the types of its other tensors.
FLOAT_TYPES = ("F32", "F16", "BF16", "F64")
CONVERTED = "fairgate-converted.json"


class NotLoadableGguf(ValueError):
    pass


def is_gguf(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(len(MAGIC)) == MAGIC


def reader(path: Path):
    from gguf import GGUFReader

    return GGUFReader(path)


def architecture(gguf_reader) -> str:
    return str(gguf_reader.fields["general.architecture"].contents())


def check_loadable(path: Path):
    """The file's GGUFReader; raises NotLoadableGguf unless `path` is a GGUF file of an
    architecture transformers reads from GGUF."""
    if not path.is_file():
        raise NotLoadableGguf(f"GGUF file {path} does not exist")
    if not is_gguf(path):
        raise NotLoadableGguf(f"{path} is not a GGUF file (it does not start with {MAGIC!r})")
    try:
        gguf_reader = reader(path)
        arch = architecture(gguf_reader)
    except (ValueError, KeyError, IndexError) as e:  # a truncated or malformed file
        raise NotLoadableGguf(f"cannot read GGUF file {path}: {e}") from e
    supported = supported_architectures()
    # transformers renames some llama.cpp architectures (qwen2moe -> qwen2_moe, gpt-oss ->
    # gpt_oss) before looking them up; compared without separators, both spellings match.
    if _plain(arch) not in {_plain(a) for a in supported}:
        raise NotLoadableGguf(
            f"{path} holds a {arch!r} model, which transformers cannot load from GGUF; it loads "
            f"these architectures: {', '.join(sorted(supported))}"
        )
    return gguf_reader


def supported_architectures() -> list[str]:
    # The table transformers' GGUF loader looks architectures up in; this module of it
    # imports without torch, so `fairgate validate` stays torch-free. Its other top-level
    # keys hold settings common to every architecture.
    from transformers.integrations.ggml import GGUF_CONFIG_MAPPING

    return [name for name in GGUF_CONFIG_MAPPING if name not in ("general", "tokenizer")]


def _plain(name: str) -> str:
    return name.replace("-", "").replace("_", "")


def quantization(path: Path, gguf_reader=None) -> dict:
    """What results.json records of a GGUF: its declared file type, how many tensors of each
    type it holds, and its bits per weight (tensor bytes over parameters, all tensors)."""
    from gguf import LlamaFileType

    gguf_reader = gguf_reader or reader(path)
    types: dict[str, int] = {}
    for tensor in gguf_reader.tensors:
        types[tensor.tensor_type.name] = types.get(tensor.tensor_type.name, 0) + 1
    n_bytes = sum(int(t.n_bytes) for t in gguf_reader.tensors)
    n_weights = sum(int(t.n_elements) for t in gguf_reader.tensors)
    file_type = gguf_reader.fields.get("general.file_type")
    return {
        "file": str(path),
        "architecture": architecture(gguf_reader),
        "file_type": None if file_type is None else LlamaFileType(int(file_type.contents())).name,
        "tensor_types": dict(sorted(types.items())),
        "quantized_types": sorted(t for t in types if t not in FLOAT_TYPES),
        "tensor_bytes": n_bytes,
        "parameters": n_weights,
        "bits_per_weight": 8 * n_bytes / n_weights,
    }


def loadable_checkpoint(
    gguf: Path,
    cache_root: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[Path, dict]:
    """The checkpoint converted from a GGUF a spec names (or a step built), and the file's
    `quantization`; the file is read, checked and converted on first use only. Raises
    NotLoadableGguf for a file transformers cannot load."""
    target, _ = converted_dir(checkpoint_name(gguf), gguf, cache_root)
    if not is_converted(target):
        gguf_reader = check_loadable(gguf)
        record = {"quantization": quantization(gguf, gguf_reader)}
        checkpoint(gguf, checkpoint_name(gguf), cache_root, progress, record, gguf.name)
    # The conversion is found by content hash: the file of the same content that converted it
    # may lie elsewhere (a moved or shared cache), so name the one this run read.
    return target, {**json.loads((target / CONVERTED).read_text())["quantization"], "file": str(gguf)}


def checkpoint_name(gguf: Path) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", gguf.stem)


def converted_dir(label: str, gguf: Path, cache_root: Path | None) -> tuple[Path, str]:
    """Where the checkpoint converted from `gguf` is cached, and the file's sha256."""
    digest = file_sha256(gguf, cache_root)
    return (cache_root or default_cache_root()) / "models" / f"{label}-{digest[:16]}", digest


def is_converted(target: Path) -> bool:
    return (target / CONVERTED).exists()


def checkpoint(
    gguf: Path,
    label: str,
    cache_root: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    record: dict | None = None,
    shown: str | None = None,
) -> Path:
    """The plain checkpoint directory converted from `gguf` (named `label` and the file's
    hash), converting it on first use; `progress` follows the conversion as one stage named
    after `shown`; `record` is kept in fairgate-converted.json, next to the file's hash."""
    target, digest = converted_dir(label, gguf, cache_root)
    if is_converted(target):
        return target
    if target.exists():  # left without its record by a fairgate that converted in place
        shutil.rmtree(target)
    # The record is written inside: a directory in place is a whole conversion.
    with atomic_directory(target) as partial:
        _convert(gguf, partial, shown or label, progress or _unreported)
        atomic_write_text(
            partial / CONVERTED,
            json.dumps({**(record or {}), "gguf": str(gguf), "gguf_sha256": digest}),
        )
    return target


def _unreported(stage: str, done: int, total: int) -> None:
    pass


def _convert(gguf: Path, target: Path, shown: str, progress: Callable[[str, int, int], None]) -> None:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    stage, steps = f"convert {shown}", 3
    progress(stage, 0, steps)
    folder, filename = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=filename)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=filename, dtype=torch.float32)
    progress(stage, 1, steps)  # the GGUF read and dequantized: most of the time
    config = AutoConfig.from_pretrained(folder, gguf_file=filename)
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(loaded.state_dict())
    progress(stage, 2, steps)
    plain.save_pretrained(target, safe_serialization=True)
    tokenizer.save_pretrained(target)
    progress(stage, steps, steps)
