"""GGUF builds: the model's own GGUF re-quantized to another llama.cpp type with gguf-py,
as llama.cpp's llama-quantize does, then loaded like any GGUF (dequantized by transformers).

Every matrix of the source file is dequantized and quantized to the target type; vectors
(norms, biases) stay as they are, and every metadata key is copied, `general.file_type` set to
the new type. The file is cached by (source hash, type, gguf-py version).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable, ClassVar, Literal

from pydantic import Field, field_validator

from engine.compression import STEPS
from engine.compression.base import CompressionNotApplied, CompressionStep, Documented

STARTER_TYPES = ("Q8_0", "Q4_0")


@functools.cache
def writable_types() -> tuple[str, ...]:
    """The tensor types the installed gguf-py can quantize to (its `quantize` raises
    NotImplementedError for the others), each tried on one block."""
    import numpy as np
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType
    from gguf.quants import quantize

    found = []
    for qtype in GGMLQuantizationType:
        block_size, _ = GGML_QUANT_SIZES[qtype]
        try:
            quantize(np.linspace(-1, 1, block_size, dtype=np.float32)[None], qtype)
        except NotImplementedError:
            continue
        found.append(qtype.name)
    return tuple(found)


def type_bits(name: str) -> float:
    """Bits per weight of a tensor of type `name`: its block's bytes over its values."""
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

    block_size, type_size = GGML_QUANT_SIZES[GGMLQuantizationType[name]]
    return 8 * type_size / block_size


class GgufConfig(CompressionStep):
    """A GGUF build: the model's GGUF (a builtin model, or a `.gguf` model) re-quantized to
    one llama.cpp tensor type with gguf-py, then loaded through transformers, which
    dequantizes it to the spec's dtype."""

    packages: ClassVar[dict[str, str]] = {"gguf": "gguf"}
    # The file is quantized before transformers reads it: no uncompressed model in memory.
    while_loading: ClassVar[bool] = True
    builds_gguf: ClassVar[bool] = True
    documented: ClassVar[Documented] = Documented(
        "gguf", "gguf-q4_0", {"method": "gguf", "type": "Q4_0"}, examples={"type": ("Q8_0", {})}
    )
    starters: ClassVar[dict[str, dict[str, Any]]] = {
        f"gguf-{t.lower()}": {"method": "gguf", "type": t} for t in STARTER_TYPES
    }

    method: Literal["gguf"] = Field(
        description="re-quantize the model's GGUF file with gguf-py", examples=["gguf"]
    )
    type: str = Field(
        description="the llama.cpp tensor type every matrix is quantized to, one that the "
        "installed gguf-py writes (`fairgate list quantization` names them), e.g. Q8_0, Q4_0, "
        "Q5_1",
        examples=["Q4_0"],
    )

    @field_validator("type")
    @classmethod
    def _writable(cls, value: str) -> str:
        if value not in writable_types():
            raise ValueError(
                f"gguf-py {_gguf_version()} cannot write tensors of type {value!r}; it writes "
                f"{', '.join(writable_types())}"
            )
        return value

    @classmethod
    def bits_of(cls, table: dict[str, Any]) -> float | None:
        return type_bits(table["type"])

    def build_gguf(
        self,
        source: Path,
        cache_root: Path | None,
        progress: Callable[[str, int, int], None] | None,
    ) -> Path:
        """The GGUF built from `source` at this type, written once into the cache."""
        from engine.models.hashing import file_sha256
        from engine.store import atomic_path, default_cache_root

        digest = file_sha256(source, cache_root)
        target = (
            (cache_root or default_cache_root()) / "models" / "gguf-builds"
            / f"{source.stem}-{digest[:16]}-{self.type}-gguf{_gguf_version()}.gguf"
        )
        if not target.exists():
            with atomic_path(target) as partial:
                requantize(source, partial, self.type, progress)
        return target

    def after_load(self, model, device: str, dtype, tokenizer):
        return model

    def describe(self, model) -> tuple[dict, set[str]]:
        """The linear layers whose weights came from matrices of the built file (all of them:
        the build quantizes every matrix); the file's own types are in the model's `gguf`."""
        import torch

        names = {name for name, m in model.named_modules() if isinstance(m, torch.nn.Linear)}
        if not names:
            raise CompressionNotApplied("gguf was declared but the model has no linear layers")
        return {"method": self.model_dump(), "compressed_layers": len(names)}, names

    def for_inference(self, model, device: str) -> str:
        return (
            f"GGUF {self.type} weights dequantized to {model.dtype} on load by transformers; "
            "activations unquantized (llama.cpp would quantize them for its dot products)"
        )


def requantize(
    source: Path, target: Path, type_name: str, progress: Callable[[str, int, int], None] | None
) -> None:
    """Writes `source` with every matrix quantized to `type_name` and its metadata copied."""
    from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter, Keys, LlamaFileType
    from gguf.quants import QuantError, dequantize, quantize

    reader = GGUFReader(source)
    qtype = GGMLQuantizationType[type_name]
    arch = str(reader.fields[Keys.General.ARCHITECTURE].contents())
    writer = GGUFWriter(target, arch, endianess=reader.endianess)
    file_type = LlamaFileType.__members__.get(f"MOSTLY_{type_name}")
    for field in reader.fields.values():
        # Virtual fields and the architecture are written by GGUFWriter itself.
        if field.name == Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue
        if field.name == Keys.General.FILE_TYPE:
            if file_type is not None:
                writer.add_file_type(file_type)
            continue
        value_type = field.types[0]
        sub_type = field.types[-1] if value_type == GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), value_type, sub_type=sub_type)
    stage = f"build GGUF {type_name} from {source.name}"
    for n, tensor in enumerate(reader.tensors):
        if progress:
            progress(stage, n, len(reader.tensors))
        if len(tensor.shape) < 2:  # norms and biases stay as they are, as llama-quantize keeps them
            writer.add_tensor(tensor.name, tensor.data, raw_dtype=tensor.tensor_type)
            continue
        values = dequantize(tensor.data, tensor.tensor_type)
        try:
            data = quantize(values, qtype)
        except QuantError as e:
            raise ValueError(
                f"cannot build a {type_name} GGUF from {source}: tensor {tensor.name} has rows "
                f"of {values.shape[-1]} values, not a multiple of {type_name}'s block ({e})"
            ) from e
        writer.add_tensor(tensor.name, data, raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    if progress:
        progress(stage, len(reader.tensors), len(reader.tensors))


def _gguf_version() -> str:
    from importlib.metadata import version

    return version("gguf")


STEPS.register("gguf", GgufConfig, __name__)
