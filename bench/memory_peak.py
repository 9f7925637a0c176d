"""Peak memory of a gate run with several variants against a run of the baseline alone.

Each run is a fresh process with an empty results cache (so every model is really loaded,
compressed and scored; the builtin model's converted checkpoint is reused). The variants
are evaluated one after another and each model is freed before the next is loaded, so the
peak should stay near one model (the largest in memory at once: a variant while it is
compressed) plus the baseline's records: the run with three variants should peak where the
run with only the first of them does.

    python bench/memory_peak.py            # prints the three peaks
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

CHECKS = """
[[checks]]
metric = "crows_pairs.stereotype_score"
max_examples = 8
tolerance = 0.1
[[checks]]
metric = "bbq.js_divergence"
max_examples = 4
tolerance = 0.1
"""
FIRST_VARIANT = """
[[variants]]
name = "hqq-4bit"
quantization = { method = "hqq", nbits = 4, group_size = 64 }
"""
VARIANTS = FIRST_VARIANT + """
[[variants]]
name = "dynamic-int8"
quantization = { method = "dynamic-int8" }
[[variants]]
name = "wanda-2-4-hqq4"
compression = [
  { method = "prune", pattern = "2:4", criterion = "wanda" },
  { method = "hqq", nbits = 4, group_size = 64 },
]
"""


def spec(variants: str) -> str:
    head = 'name = "memory"\n[baseline]\nmodel = "builtin:smollm2-135m-instruct"\n'
    # A spec needs a variant; "identical" is the baseline model and costs no second load.
    return head + (variants or '[[variants]]\nname = "identical"\n') + CHECKS


def measure(mode: str) -> None:
    """In this process: run the gate of `mode` and print the peak resident set size."""
    from engine.run import GateRun
    from engine.spec.loader import load_spec
    from engine.store import ResultStore

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.toml"
        path.write_text(spec({"baseline": "", "one": FIRST_VARIANT, "variants": VARIANTS}[mode]))
        run = GateRun(load_spec(path), ResultStore(Path(tmp) / "results"))
        start = time.perf_counter()
        if mode != "baseline":
            for variant in run.spec.variants:
                run.evaluate_variant(variant.name)
        else:
            run.baseline
        seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{mode}: peak RSS {peak_mb:.0f} MB in {seconds:.0f} s")


def main() -> None:
    if len(sys.argv) > 1:
        measure(sys.argv[1])
        return
    for mode in ("baseline", "one", "variants"):
        subprocess.run([sys.executable, __file__, mode], check=True)


if __name__ == "__main__":
    main()
