"""Compression methods, one module each; `MODULES` is the one list of them.

Each module defines a `CompressionStep` (base.py) and registers it in `STEPS` under its
`method`. The spec's `quantization` union, the JSON Schema, the spec reference, `fairgate
list quantization`, the starter spec, the packages named when one is missing and a model's
cache identity are all built from this list, so adding a method is one module and its tests.
No module here imports torch at import time.
"""

from __future__ import annotations

from typing import Annotated, Any, Iterable, Sequence, Union, get_args, get_origin

from pydantic import Field

from engine.compression.base import CompressionStep, LayerReplacingStep
from engine.registry import Registry

MODULES = ("hqq", "bitsandbytes", "dynamic_int8", "quanto", "prune", "gguf", "llm_compressor", "vllm_online")
# An entry is a step class, or a discriminated union of the classes sharing one `method`
# (bitsandbytes' 8- and 4-bit settings differ, told apart by `bits`).
STEPS: Registry[Any] = Registry("compression method", tuple(f"engine.compression.{m}" for m in MODULES))
# Every model's identity has named these libraries' versions since the first cache; other
# packages enter only the identity of a model whose steps need them.
IDENTITY_LIBRARIES = ("torch", "transformers", "hqq", "bitsandbytes")


def spec_union() -> Any:
    """The type of a spec's `quantization` table (and of each `compression` step)."""
    return Annotated[Union[tuple(STEPS.in_module_order())], Field(discriminator="method")]


def step_classes() -> list[type[CompressionStep]]:
    """Every step class, in `MODULES` order."""
    return [cls for entry in STEPS.in_module_order() for cls in _classes(entry)]


def _classes(entry: Any) -> list[type[CompressionStep]]:
    if get_origin(entry) is Annotated:
        return _classes(get_args(entry)[0])
    if get_origin(entry) is Union:
        return [cls for member in get_args(entry) for cls in _classes(member)]
    return [entry]


def compression_steps(compression: Any | Sequence[Any] | None) -> tuple[CompressionStep, ...]:
    """One step, or several applied in order, or none, as a tuple of steps."""
    if compression is None:
        return ()
    if isinstance(compression, (list, tuple)):
        return tuple(compression)
    return (compression,)


def steps_dump(steps: Sequence[CompressionStep]) -> Any:
    """The declared compression as written: None, one table, or the list of a chain's
    tables (one step keeps the form it had before chains, so cache keys stay valid)."""
    if not steps:
        return None
    if len(steps) == 1:
        return steps[0].model_dump()
    return [step.model_dump() for step in steps]


def packages() -> tuple[str, ...]:
    """The distributions some method needs, in `MODULES` order."""
    return tuple(dict.fromkeys(p for cls in step_classes() for p in cls.packages))


def identity_libraries(steps: Iterable[CompressionStep]) -> tuple[str, ...]:
    """The libraries whose versions enter the cache identity of a model compressed by
    `steps`: a package enters only with a step that needs it, so other models keep their
    identity (and cache) whether it is installed or not."""
    extra = (p for step in steps for p in step.packages if p not in IDENTITY_LIBRARIES)
    return IDENTITY_LIBRARIES + tuple(dict.fromkeys(extra))


def missing_backend(steps: Iterable[CompressionStep], error: ImportError) -> tuple[str, str] | None:
    """(method, distribution) of the declared step whose package failed to import: the one
    the error names, else the first step that needs a package; None if no step needs one."""
    needing = [(step.method, dist, module) for step in steps for dist, module in step.packages.items()]
    top_module = (error.name or "").split(".")[0]
    named = [n for n in needing if n[2] == top_module]
    chosen = (named or needing or [None])[0]
    return None if chosen is None else chosen[:2]


def known_compressed_types() -> tuple[type, ...]:
    """The layer types of every installed layer-replacing method, to count what a
    pre-compressed checkpoint brought with it. A method whose package is not installed is
    left out: no model loaded here can hold its layers."""
    found: list[type] = []
    for cls in step_classes():
        if issubclass(cls, LayerReplacingStep):
            try:
                found += cls.compressed_types()
            except ImportError:
                continue
    return tuple(dict.fromkeys(found))


def bits_per_weight(tables: dict | list | None) -> float | None:
    """Bits per weight of a variant's compression as results.json writes it (one table or a
    chain's list): the bit width of its last quantizing step; None where none sets one."""
    bits = None
    for table in tables if isinstance(tables, list) else [tables] if tables else []:
        cls = _class_of(table)
        if cls is not None and cls.quantizes:
            bits = cls.bits_of(table)
    return bits


def method_label(tables: dict | list | None) -> str:
    """A variant's methods as one label: `hqq`, or `prune+hqq` for a chain."""
    chain = tables if isinstance(tables, list) else [tables] if tables else []
    return "+".join(str(table.get("method", "unknown")) for table in chain) or "unknown"


def _class_of(table: dict) -> type[CompressionStep] | None:
    """The class of a step's table; the classes sharing a method share `bits_of`."""
    return next((cls for cls in step_classes() if cls.method_name() == table.get("method")), None)


def starters() -> dict[str, dict[str, Any]]:
    """`fairgate init`'s variants, every method's, by variant name."""
    return {name: table for cls in step_classes() for name, table in cls.starters.items()}
