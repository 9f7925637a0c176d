"""What a spec asks of one model: where it comes from, how to compress it, how to run it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.models.source import ModelRef


@dataclass(frozen=True)
class ModelPlan:
    label: str  # "baseline" or the variant's name
    ref: ModelRef
    dtype: str
    device: str
    quantization: Any | None  # one compression step, a tuple of steps applied in order, or None
    trust_remote_code: bool
    batch_size: int
    spec_file: Path | None = None  # named by errors, so a user knows which spec to fix
    allow_broken: bool = False  # judge it even if its sanity perplexity shows it broken
    prefix_token: str | None = None  # the spec's baseline.prefix_token; None: BOS, else EOS
    engine: str = "transformers"  # or "vllm"
    engine_options: tuple[tuple[str, Any], ...] = ()  # the spec's [engine] options, sorted
    device_map: str | None = None  # spread over devices by accelerate; None: all on `device`
    max_memory: tuple[tuple[str, str], ...] = ()  # with device_map: (device, limit), sorted

    def placement(self) -> dict[str, Any]:
        """from_pretrained's device_map and max_memory (GPU indices as ints); empty for one
        device."""
        if self.device_map is None:
            return {}
        limits = {int(k) if k.isdigit() else k: v for k, v in self.max_memory}
        return {"device_map": self.device_map, **({"max_memory": limits} if limits else {})}
