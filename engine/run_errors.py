"""Failures at run time, turned into messages that name the spec file and say what to do."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from engine.compression import compression_steps, missing_backend
from engine.compression.base import CompressionNotApplied, CompressionUnsupported
from engine.datasets.assets import AssetMissing
from engine.models.plan import ModelPlan
from engine.models.source import ModelSourceError


class RunError(RuntimeError):
    """Something a spec needs cannot be loaded at run time (a model, a quantization backend,
    a data set). The message names the spec file and the model or check it belongs to, and
    says what to do; results stored before it stay in the cache."""

    def __init__(self, spec_file: Path | None, subject: str, problem: str, what_to_do: str) -> None:
        self.spec_file = spec_file
        self.subject = subject
        where = f"{spec_file}: " if spec_file else ""
        super().__init__(f"{where}{subject}: {problem}; {what_to_do}")


class BrokenCompression(RunError):
    """The variant loaded and was measured, and its compression is broken (see
    `engine.models.sanity`): a finding about the build, not a failure of the gate."""


# What transformers, safetensors and the hub client raise for a checkpoint they cannot read:
# a missing or partial directory (OSError), an unknown architecture (ValueError, KeyError in
# older transformers), corrupt weights (SafetensorError, an Exception subclass), a saved
# quantization transformers cannot read back (NotImplementedError: HQQ's in 5.23).
UNREADABLE_CHECKPOINT = (OSError, ValueError, KeyError, NotImplementedError)


def subject(plan: ModelPlan) -> str:
    return "baseline" if plan.label == "baseline" else f"variant {plan.label!r}"


@contextmanager
def load_errors(plan: ModelPlan) -> Iterator[None]:
    """Turns a failure to load `plan`'s model into a RunError that says what to do."""
    from safetensors import SafetensorError

    from engine.compression.llm_compressor_build import LlmCompressorFailed
    from engine.environments import EnvironmentUnavailable, VllmFailed
    from engine.models.checkpoints import QuantizationBackendMissing

    try:
        yield
    except (QuantizationBackendMissing, EnvironmentUnavailable) as e:
        raise RunError(plan.spec_file, subject(plan), str(e), e.fix) from e
    except LlmCompressorFailed as e:
        raise RunError(
            plan.spec_file, subject(plan), str(e),
            "fix the method's settings (or the model) and run the gate again; scores already "
            "computed stay cached",
        ) from e
    except VllmFailed as e:
        raise _engine_failed(plan, e) from e
    except (ModelSourceError, AssetMissing) as e:
        raise RunError(plan.spec_file, subject(plan), str(e), _fix_model(plan)) from e
    except ImportError as e:
        missing = missing_backend(compression_steps(plan.quantization), e)
        if missing is None:
            raise
        method, package = missing
        raise RunError(
            plan.spec_file,
            subject(plan),
            f"the {method} quantization backend cannot be imported ({e})",
            f"install it (`pip install {package}`), or remove the variant from the spec",
        ) from e
    except (CompressionNotApplied, CompressionUnsupported) as e:
        raise RunError(
            plan.spec_file, subject(plan), str(e), "choose another `quantization` for this model"
        ) from e
    except (*UNREADABLE_CHECKPOINT, SafetensorError) as e:
        problem = f"cannot load the model {plan.ref.model!r}: {type(e).__name__}: {e}"
        raise RunError(plan.spec_file, subject(plan), problem, _fix_model(plan)) from e


@contextmanager
def engine_errors(plan: ModelPlan) -> Iterator[None]:
    """Turns an engine that stopped while scoring (vLLM's worker) into a RunError, so the run
    goes on with the other models and keeps what was computed."""
    from engine.environments import VllmFailed

    try:
        yield
    except VllmFailed as e:
        raise _engine_failed(plan, e) from e


def _engine_failed(plan: ModelPlan, error: Exception) -> RunError:
    return RunError(
        plan.spec_file, subject(plan), str(error),
        "check the model and the spec's [engine] options against vLLM's output above; "
        "scores already computed stay cached",
    )


def _fix_model(plan: ModelPlan) -> str:
    return (
        f"point `model` ({plan.ref.model!r}) at a complete transformers checkpoint "
        "(config.json, tokenizer files, *.safetensors) of an architecture this transformers "
        "version supports, then run the gate again; scores already computed stay cached"
    )


def broken_compression(compression: dict | None) -> str | None:
    """Why a model's compression report shows it broken (see `engine.models.sanity`)."""
    return ((compression or {}).get("sanity") or {}).get("broken")


def refuse_broken(plan: ModelPlan, compression: dict | None) -> None:
    """A broken compression is not judged unless the spec says `allow_broken`: its bias
    scores would describe noise."""
    reason = broken_compression(compression)
    if reason is not None and not plan.allow_broken:
        raise BrokenCompression(
            plan.spec_file,
            subject(plan),
            reason,
            "compress less aggressively, or remove the variant, or set `allow_broken = true` "
            "on it to judge it anyway; its items are not judged",
        )
