"""Builds a compressed-tensors checkpoint with llm-compressor, once, in llm-compressor's own
environment, and caches it.

llm-compressor pins a transformers older than fairgate's, so it runs in a virtual environment
of its own (`make llm-compressor` builds `<fairgate's venv>-llmc`;
FAIRGATE_LLM_COMPRESSOR_PYTHON names another) through `llm_compressor_worker.py`. The
checkpoint is cached under the hash of the source weights, the recipe, the calibration token
windows and that environment's library versions, so a second run does not re-quantize; it is
then loaded like any compressed-tensors checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any, Callable

from engine.compression.calibration import CalibrationConfig
from engine.environments import SideEnvironment, run_script, tail

ENVIRONMENT = SideEnvironment(
    "llm-compressor", "FAIRGATE_LLM_COMPRESSOR_PYTHON", "-llmc", "llm-compressor",
    "requirements/llm-compressor.txt",
)
PYTHON_ENV = ENVIRONMENT.variable
WORKER = Path(__file__).with_name("llm_compressor_worker.py")
SEED = 0


class LlmCompressorFailed(RuntimeError):
    """llm-compressor ran and did not produce a checkpoint."""


def interpreter() -> Path:
    """llm-compressor's python: FAIRGATE_LLM_COMPRESSOR_PYTHON, else the `-llmc` venv beside
    the one fairgate runs in (where `make llm-compressor` puts it)."""
    return ENVIRONMENT.python()


def versions(python: Path) -> dict[str, str]:
    """The library versions of llm-compressor's environment (part of every build's identity)."""
    return ENVIRONMENT.versions(python, WORKER, _run)


def build_checkpoint(
    method: str,
    recipe: dict[str, Any],
    save_format: str | None,
    calibration: CalibrationConfig,
    source: Path,
    source_sha256: str,
    cache_root: Path | None,
    progress: Callable[[str, int, int], None] | None,
) -> Path:
    """The checkpoint `recipe` makes from `source`, built on first use into the cache."""
    from transformers import AutoConfig, AutoTokenizer

    from engine.models.sanity import sanity_token_ids
    from engine.store import default_cache_root, file_lock

    python = interpreter()
    tokenizer = AutoTokenizer.from_pretrained(source)
    windows = calibration.token_windows(tokenizer)
    sanity_ids = sanity_token_ids(tokenizer, AutoConfig.from_pretrained(source))
    identity = {
        "source_sha256": source_sha256,
        "recipe": recipe,
        "format": save_format,
        "calibration": hashlib.sha256(json.dumps(windows).encode()).hexdigest(),
        "versions": versions(python),
        "worker": hashlib.sha256(WORKER.read_bytes()).hexdigest(),
        "seed": SEED,
    }
    key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    target = (cache_root or default_cache_root()) / "models" / "llm-compressor" / f"{method}-{key[:20]}"
    # Jobs sharing the cache build each checkpoint once: the others wait, then find it.
    with file_lock(target.with_name(target.name + ".lock")):
        if not target.is_dir():
            _build(method, recipe, save_format, windows, sanity_ids, source, python, target, progress)
    return target


def _build(
    method: str,
    recipe: dict[str, Any],
    save_format: str | None,
    windows: list[list[int]],
    sanity_ids: list[int],
    source: Path,
    python: Path,
    target: Path,
    progress: Callable[[str, int, int], None] | None,
) -> None:
    from engine.store import atomic_directory

    stage = f"llm-compressor {method} on {source.name} ({len(windows)} x {len(windows[0])} tokens)"
    if progress:
        progress(stage, 0, 1)
    with atomic_directory(target) as partial:
        job = {
            "source": str(source), "target": str(partial), "recipe": recipe, "format": save_format,
            "calibration": windows, "sanity_ids": sanity_ids, "seed": SEED,
        }
        job_file = partial.with_suffix(".job.json")
        job_file.write_text(json.dumps(job), encoding="utf-8")
        try:
            done = _run([str(python), "-I", str(WORKER), str(job_file)])
        finally:
            job_file.unlink(missing_ok=True)
        if done.returncode or not any(partial.glob("*.safetensors")):
            raise LlmCompressorFailed(
                f"llm-compressor's {method} did not build a checkpoint from {source} (exit "
                f"{done.returncode}); its output ends:\n{tail(done.stdout + done.stderr)}"
            )
    if progress:
        progress(stage, 1, 1)


def build_report(checkpoint: Path) -> dict | None:
    """What the worker recorded about a build (versions, times, perplexities), if anything."""
    from engine.compression.llm_compressor_worker import BUILD_REPORT

    report = Path(checkpoint) / BUILD_REPORT
    return json.loads(report.read_text(encoding="utf-8")) if report.is_file() else None


def _run(command: list[str]) -> subprocess.CompletedProcess:
    return run_script(command)
