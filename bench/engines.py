"""The transformers and vllm engines side by side on the shipped SmolLM2 (float32, this CPU).

One spec per engine, the same checks: all 1,508 CrowS-Pairs pairs, a BBQ check and a greedy
generation check, each scored cold (a fresh result store). Prints, per engine and check, the
seconds the engine spent and the tokens it computed (log-likelihood: every member's tokens;
generation: new tokens), and the engine's start time; then the agreement between the engines:
CrowS-Pairs pairs with the same preference and the largest per-sentence |dLL| (absolute and
relative), BBQ answers with the same choice, and greedy continuations that are identical.

    .venv/bin/python bench/engines.py                  # both engines (vLLM from `make vllm`)
    .venv/bin/python bench/engines.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1")

from engine.models.load import LoadedModel  # noqa: E402
from engine.run import GateRun  # noqa: E402
from engine.spec.loader import load_spec  # noqa: E402
from engine.store import ResultStore  # noqa: E402

CHECKS = """
[[checks]]
metric = "crows_pairs.stereotype_score"
tolerance = 1.0

[[checks]]
metric = "bbq.accuracy_disambig"
max_examples = 20
tolerance = 1.0

[[checks]]
metric = "bold_generation.sentiment"
max_examples = 8
generation = { max_new_tokens = 20 }
tolerance = 1.0
"""


class Timed:
    """A backend that adds up its seconds and tokens under the stage being scored."""

    def __init__(self, backend, totals: dict, stage: list) -> None:
        self.backend, self.totals, self.stage = backend, totals, stage

    def _add(self, kind: str, seconds: float, tokens: int) -> None:
        entry = self.totals.setdefault(self.stage[0], {"kind": kind, "seconds": 0.0, "tokens": 0})
        entry["seconds"] += seconds
        entry["tokens"] += tokens

    def loglikelihoods(self, rows):
        start = time.perf_counter()
        results = self.backend.loglikelihoods(rows)
        self._add("loglikelihood", time.perf_counter() - start, sum(len(t) for r in rows for t, _ in r.members))
        return results

    def generate(self, prompts, config, seed):
        start = time.perf_counter()
        results = self.backend.generate(prompts, config, seed)
        self._add("generation", time.perf_counter() - start, sum(g.n_tokens + g.stopped_at_eos for g in results))
        return results

    def close(self) -> None:
        close = getattr(self.backend, "close", None)
        if close:
            close()


def run_engine(engine: str, workdir: Path) -> dict:
    spec = workdir / f"{engine}.toml"
    spec.write_text(
        f'name = "engines-{engine}"\n[engine]\nname = "{engine}"\n'
        '[baseline]\nmodel = "builtin:smollm2-135m-instruct"\n[[variants]]\nname = "same"\n' + CHECKS
    )
    totals: dict = {}
    stage = ["load"]
    starts: list[float] = []
    original = LoadedModel.weights

    def weights(self):
        start = time.perf_counter()
        backend, report = original(self)
        starts.append(time.perf_counter() - start)
        return Timed(backend, totals, stage), report

    LoadedModel.weights = weights
    try:
        run = GateRun(
            load_spec(spec),
            ResultStore(workdir / f"store-{engine}"),
            progress=lambda name, done, total: stage.__setitem__(0, name.split(": ", 1)[-1]),
        )
        wall = time.perf_counter()
        baseline = run.baseline
        wall = time.perf_counter() - wall
    finally:
        LoadedModel.weights = original
    return {"wall_seconds": wall, "start_seconds": starts, "checks": totals, "records": baseline.records}


def agreement(a: dict, b: dict) -> dict:
    crows_a, crows_b = a["crows_pairs.stereotype_score"], b["crows_pairs.stereotype_score"]
    same = sum(x["stereotyped"] == y["stereotyped"] for x, y in zip(crows_a, crows_b))
    diffs = [
        (abs(x[k] - y[k]), abs(x[k] - y[k]) / abs(x[k]))
        for x, y in zip(crows_a, crows_b)
        for k in ("ll_more", "ll_less")
    ]
    bbq_a, bbq_b = a["bbq.accuracy_disambig"], b["bbq.accuracy_disambig"]
    gen_a = [c["continuation"] for r in a["bold_generation.sentiment"] for c in r["continuations"]]
    gen_b = [c["continuation"] for r in b["bold_generation.sentiment"] for c in r["continuations"]]
    return {
        "crows_pairs": {
            "pairs": len(crows_a),
            "same_preference": same,
            "max_abs_dll": max(d for d, _ in diffs),
            "max_rel_dll": max(r for _, r in diffs),
            "pairs_over_1e-3_relative": sum(
                max(abs(x[k] - y[k]) / abs(x[k]) for k in ("ll_more", "ll_less")) >= 1e-3
                for x, y in zip(crows_a, crows_b)
            ),
        },
        "bbq": {
            "items": len(bbq_a),
            "same_answer": sum(x["pred"] == y["pred"] for x, y in zip(bbq_a, bbq_b)),
        },
        "generation": {
            "continuations": len(gen_a),
            "identical": sum(x == y for x, y in zip(gen_a, gen_b)),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {engine: run_engine(engine, Path(tmp)) for engine in ("transformers", "vllm")}
    out = {"agreement": agreement(results["transformers"]["records"], results["vllm"]["records"])}
    for engine, result in results.items():
        print(f"{engine}: {result['wall_seconds']:.0f} s wall; engine start {result['start_seconds']}")
        for check, t in result["checks"].items():
            rate = t["tokens"] / t["seconds"] if t["seconds"] else float("nan")
            print(f"  {check:32} {t['kind']:13} {t['tokens']:7} tokens {t['seconds']:7.1f} s {rate:7.1f} tokens/s")
        out[engine] = {k: v for k, v in result.items() if k != "records"}
    print(json.dumps(out["agreement"], indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
