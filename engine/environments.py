"""Python environments of their own, beside fairgate's, for libraries that pin a transformers
other than fairgate's (llm-compressor, vLLM): where each one's python is, and how to run a
script in it without fairgate's environment leaking in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


class VllmFailed(RuntimeError):
    """vLLM's engine, running in its environment, stopped or could not start (here, not in
    engine.models.vllm_backend, so that error handling imports no torch)."""


class EnvironmentUnavailable(RuntimeError):
    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.fix = fix


@dataclass(frozen=True)
class SideEnvironment:
    library: str  # what it holds, as users know it
    variable: str  # the environment variable naming another python
    suffix: str  # `make` builds it at fairgate's venv + suffix
    make_target: str
    requirements: str

    def fix(self) -> str:
        return (
            f"build {self.library}'s environment with `make {self.make_target}` in the fairgate "
            f"checkout, or point {self.variable} at the python of an environment with the "
            f"packages of {self.requirements}"
        )

    def python(self) -> Path:
        """The variable's python, else the venv beside the one fairgate runs in."""
        configured = os.environ.get(self.variable)
        python = Path(configured) if configured else Path(sys.prefix + self.suffix) / "bin" / "python"
        if not python.is_file():
            where = f"{self.variable}={configured}" if configured else f"{python} (no {self.variable} set)"
            raise EnvironmentUnavailable(f"{self.library}'s python was not found at {where}", self.fix())
        return python

    def versions(
        self, python: Path, worker: Path, run: Callable[[list[str]], subprocess.CompletedProcess] | None = None
    ) -> dict[str, str]:
        """The library versions `worker --versions` prints as JSON in that environment."""
        done = (run or run_script)([str(python), "-I", str(worker), "--versions"])
        try:
            if done.returncode:
                raise ValueError(f"exit {done.returncode}")
            return json.loads(done.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError) as e:
            raise EnvironmentUnavailable(
                f"{python} cannot report {self.library}'s versions ({e}): "
                f"{tail(done.stdout + done.stderr) or 'no output'}",
                self.fix(),
            ) from e


def clean_environment() -> dict[str, str]:
    """os.environ without what would put fairgate's packages in front of the other
    environment's (PYTHONPATH, a venv's variables)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["TOKENIZERS_PARALLELISM"] = "false"
    return env


def run_script(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, env=clean_environment(), check=False)


def tail(output: str, lines: int = 25) -> str:
    kept = [line for line in output.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])
