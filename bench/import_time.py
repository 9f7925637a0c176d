"""What the torch-free core costs to start: import time and wall time of the commands that
read specs without a model (`fairgate validate`, `fairgate list metrics`, `fairgate schema`),
each in fresh interpreters, and whether any of them imported torch or transformers.

Prints, per command, the median over `--repeat` fresh processes of: the import time of
`engine.cli` (from `python -X importtime`), the command's wall time, and the heavy modules
found in `sys.modules` afterwards. For comparison it also times `import torch` and
`import transformers` alone.

    .venv/bin/python bench/import_time.py
    .venv/bin/python bench/import_time.py --repeat 7 --json out.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "statsmodels", "scipy.stats", "matplotlib")
COMMANDS = {
    "validate specs/smollm2-135m.toml": ["validate", "specs/smollm2-135m.toml"],
    "list metrics": ["list", "metrics"],
    "schema": ["schema"],
}


def _run(code: str) -> tuple[float, str, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return time.perf_counter() - start, done.stdout, done.stderr


def _import_seconds(importtime_log: str, module: str) -> float:
    """The cumulative import time of `module`, as -X importtime reports it (microseconds)."""
    for line in importtime_log.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1e6
    raise ValueError(f"{module} was not imported")


def measure_command(args: list[str], repeat: int) -> dict:
    code = (
        "import contextlib, io, sys\n"
        "from engine import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    cli.main({args!r})\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    walls, imports, heavy = [], [], None
    for _ in range(repeat):
        wall, out, err = _run(code)
        walls.append(wall)
        imports.append(_import_seconds(err, "engine.cli"))
        heavy = out.strip().splitlines()[-1]
    return {"wall_s": statistics.median(walls), "import_cli_s": statistics.median(imports), "heavy_modules": heavy}


def measure_import(module: str, repeat: int) -> float:
    return statistics.median(_import_seconds(_run(f"import {module}")[2], module) for _ in range(repeat))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    results = {name: measure_command(args, options.repeat) for name, args in COMMANDS.items()}
    results["import torch"] = {"import_s": measure_import("torch", options.repeat)}
    results["import transformers"] = {"import_s": measure_import("transformers", options.repeat)}
    for name, figures in results.items():
        print(f"{name:40s} " + "  ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items()))
    if options.json:
        options.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
