"""BBQ's cost on the transformers engine with rows of two members against rows of up to
`MAX_MEMBERS` (a multiple-choice item's three answers share one row with their prompt); any
other log-likelihood metric with `--metric`.

Scores the same BBQ sample of the builtin SmolLM2 (float32, CPU) cold twice, once with
pairs only, once with k-member rows, and prints per layout: rows, input positions computed
(the sum of row widths: what a forward pass costs), scoring seconds, and the largest
difference between the two layouts' log-likelihoods.

    .venv/bin/python bench/bbq_packing.py                  # 20 items per category
    .venv/bin/python bench/bbq_packing.py --per-category 50 --json out.json
    .venv/bin/python bench/bbq_packing.py --metric crows_pairs.stereotype_score --per-category 1000
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1")

from engine.run import GateRun  # noqa: E402
from engine.scoring import loglikelihood as ll  # noqa: E402
from engine.scoring.packing import MAX_MEMBERS, plan_rows  # noqa: E402
from engine.spec.loader import load_spec  # noqa: E402
from engine.store import ResultStore  # noqa: E402


def score(workdir: Path, metric: str, per_category: int, max_members: int) -> dict:
    spec = workdir / "bbq.toml"
    spec.write_text(
        'name = "bbq-packing"\n[baseline]\nmodel = "builtin:smollm2-135m-instruct"\n'
        '[[variants]]\nname = "same"\n'
        f'[[checks]]\nmetric = "{metric}"\nmax_examples = {per_category}\ntolerance = 1.0\n'
    )
    planned: list = []

    def plan(*args, **kwargs):
        rows = plan_rows(*args, **kwargs, max_members=max_members)
        planned.extend(rows)
        return rows

    original = ll.plan_rows
    ll.plan_rows = plan
    try:
        run = GateRun(load_spec(spec), ResultStore(workdir / f"store-{per_category}-{max_members}"))
        start = time.perf_counter()
        baseline = run.baseline
        seconds = time.perf_counter() - start
    finally:
        ll.plan_rows = original
    records = baseline.records[metric]
    return {
        "max_members": max_members,
        "items": len(records),
        "rows": len(planned),
        "positions": sum(r.width for r in planned),
        "seconds": seconds,
        "ll": [x for r in records for x in (r["ll"] if "ll" in r else (r["ll_more"], r["ll_less"]))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metric", default="bbq.accuracy_disambig", help="or crows_pairs.stereotype_score")
    parser.add_argument("--per-category", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # Load and convert the model once, so neither timing includes it.
        score(Path(tmp), args.metric, 1, MAX_MEMBERS)
        pairs, rows = (score(Path(tmp), args.metric, args.per_category, k) for k in (2, MAX_MEMBERS))
    largest = max(abs(a - b) for a, b in zip(pairs["ll"], rows["ll"]))
    for result in (pairs, rows):
        print(
            f"rows of up to {result['max_members']}: {result['items']} items, {result['rows']} rows, "
            f"{result['positions']} positions, {result['seconds']:.1f} s"
        )
    print(
        f"positions -{1 - rows['positions'] / pairs['positions']:.1%}, "
        f"time -{1 - rows['seconds'] / pairs['seconds']:.1%}; largest |dLL| {largest:.2e}"
    )
    if args.json:
        out = {k: {x: y for x, y in v.items() if x != "ll"} for k, v in (("pairs", pairs), ("rows", rows))}
        args.json.write_text(json.dumps({**out, "largest_abs_dll": largest}, indent=2))


if __name__ == "__main__":
    main()
