"""How long the paired statistics take: every check of a real run, every variant, judged again.

Reads a run's results.json (it holds every example's records for the baseline and each
variant), and for each check times `engine.gate.judge` (paired bootstrap of every subgroup,
intervals, McNemar, the rule) per variant: the first variant also resamples the baseline, the
others reuse it, as the gate does. No model is loaded. Prints a row per check and the total.

    .venv/bin/python bench/bootstrap_speed.py reports/latest/results.json
    .venv/bin/python bench/bootstrap_speed.py RESULTS --resamples 10000
"""

from __future__ import annotations

import argparse
import json
import time

from engine.datasets.base import Example
from engine.gate import judge
from engine.metrics.registry import get_metric
from engine.spec.models import CheckSpec, StatisticsSpec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("results")
    parser.add_argument("--resamples", type=int, default=None, help="default: the spec's (2000)")
    args = parser.parse_args()
    with open(args.results, encoding="utf-8") as f:
        results = json.load(f)
    total = 0.0
    print(f"{'check':<34} {'examples':>8} {'subgroups':>9} {'first variant':>13} {'others':>8}")
    for spec in results["specs"].values():
        statistics = StatisticsSpec(**spec["spec"].get("statistics", {}))
        if args.resamples:
            statistics = statistics.model_copy(update={"resamples": args.resamples})
        variants = [label for label in spec["models"] if label != "baseline"]
        for raw in spec["spec"]["checks"]:
            check = CheckSpec(**raw)
            metric = get_metric(check.metric)
            entry = spec["checks"][check.metric]
            examples = [Example(e["id"], e["subgroup"], {}) for e in entry["examples"]]
            baseline = spec["models"]["baseline"]["checks"][check.metric]["examples"]
            cache: dict = {}
            seconds = []
            for label in variants:
                records = spec["models"][label]["checks"][check.metric]["examples"]
                start = time.perf_counter()
                judge(label, metric, check, statistics, 0, examples, baseline, records, cache)
                seconds.append(time.perf_counter() - start)
            total += sum(seconds)
            others = sum(seconds[1:]) / max(1, len(seconds) - 1)
            subgroups = len({e.subgroup for e in examples}) + 1
            print(
                f"{check.metric:<34} {len(examples):>8} {subgroups:>9} "
                f"{seconds[0]:>12.3f}s {others:>7.3f}s"
            )
    print(f"total {total:.2f}s for {statistics.resamples} resamples per subgroup")


if __name__ == "__main__":
    main()
