"""`load(plan)`: one model ready to score, its weights loaded only when a score is computed.

Everything a cache lookup needs (tokenizer, identity, how requests are batched) is known
from the checkpoint's files without its weights, so a warm run never loads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from engine.compression import compression_steps
from engine.models.identity import model_identity, scored_alone
from engine.models.loading import load_model, load_tokenizer, resolve_device, sliding_window
from engine.models.plan import ModelPlan
from engine.models.source import ResolvedModel, resolve
from engine.scoring.backend import Backend


@dataclass(frozen=True)
class LoadedModel:
    plan: ModelPlan
    source: ResolvedModel
    tokenizer: Any
    device: str
    identity: str
    # A packed row's custom attention mask replaces the model's own, so with sliding-window
    # attention a row must fit the window.
    max_packed_width: int | None
    # A batch-dependent method (LLM.int8) gets a forward pass per request.
    scored_alone: bool
    cache_root: Path | None = None

    # vLLM's environment's library versions, for a model on the vllm engine.
    engine_versions: dict[str, str] | None = None

    def weights(self) -> tuple[Backend, dict]:
        """The backend holding the weights, compressed as planned, and the compression report:
        what was applied, with the sanity figures under "sanity". Loads them on every call."""
        from engine.models.transformers_backend import TransformersBackend

        plan = self.plan
        if plan.engine == "vllm":
            from engine.models.vllm_load import vllm_weights

            return vllm_weights(self)
        if plan.device_map is None:
            model, compression = load_model(
                self.source, plan.dtype, self.device, plan.quantization, plan.trust_remote_code
            )
            return TransformersBackend(model, self.tokenizer, self.device), compression
        return self._spread()

    def _spread(self) -> tuple[Backend, dict]:
        """The model spread over devices by accelerate; what fits on none is offloaded to a
        folder of its own under the cache, removed when the backend is closed."""
        import shutil
        import tempfile

        from engine.models.loading import device_placement, input_device
        from engine.models.transformers_backend import TransformersBackend
        from engine.store import default_cache_root

        plan = self.plan
        offload = (self.cache_root or default_cache_root()) / "offload"
        offload.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(dir=offload, prefix=f"{plan.label}-"))
        try:
            placement = {**plan.placement(), "offload_folder": str(folder)}
            model, compression = load_model(
                self.source, plan.dtype, self.device, plan.quantization, plan.trust_remote_code, placement
            )
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        compression["placement"] = {k: str(v) for k, v in device_placement(model).items()}
        return TransformersBackend(
            model, self.tokenizer, input_device(model), on_close=lambda: shutil.rmtree(folder, ignore_errors=True)
        ), compression


def load(
    plan: ModelPlan,
    progress: Callable[[str, int, int], None] | None = None,
    cache_root: Path | None = None,
) -> LoadedModel:
    """`progress` follows a GGUF's conversion (and build), the first time it is used;
    `cache_root` is the run's cache (converted models, GGUF builds, file hashes)."""
    steps = compression_steps(plan.quantization)
    # The spec checks allow a step that builds (a GGUF, a checkpoint) only as the first.
    build = steps[0] if steps and (steps[0].builds_gguf or steps[0].builds_checkpoint) else None
    source = resolve(plan.ref, progress, cache_root, build)
    engine_versions = None
    if plan.engine == "vllm":
        from engine.models import vllm_backend

        engine_versions = vllm_backend.versions(vllm_backend.ENVIRONMENT.python())
        device = vllm_backend.platform(engine_versions)
        vllm_backend.check_device(plan.device, device, engine_versions)
    else:
        device = resolve_device(plan.device)
    return LoadedModel(
        plan=plan,
        source=source,
        tokenizer=load_tokenizer(source, plan.trust_remote_code),
        device=device,
        identity=model_identity(plan, source.sha256, device, engine_versions),
        max_packed_width=sliding_window(source, plan.trust_remote_code),
        scored_alone=scored_alone(plan),
        engine_versions=engine_versions,
        cache_root=cache_root,
    )
