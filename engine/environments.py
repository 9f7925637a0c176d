"""Python environments of their own, beside fairgate's, for libraries that pin a transformers
other than fairgate's (llm-compressor, vLLM): where each one's python is, and how to run a
script in it without fairgate's environment leaking in."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


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
