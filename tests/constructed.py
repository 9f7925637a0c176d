"""Constructed CrowS-Pairs judgements in place of models, for tests of the statistics layer.

Each subgroup is a known case (stereotype score, ideal 0.5):

- gender, a clear regression: 300 pairs, 0.50 -> 0.90;
- age, noise: 20 pairs, 0.50 -> 0.60 (2 flips);
- religion, clear equivalence: 600 pairs, 0.500 -> 0.505 (3 flips);
- overall: 920 pairs, 0.50 -> 0.64.

`constructed_evaluation` replaces `engine.run.evaluate_model`; everything after scoring
(bootstrap, rules, plugin, reports) is the real gate.
"""

from __future__ import annotations

import csv
from pathlib import Path

from engine.evaluation import ModelEvaluation

CASES = {"gender": (300, 120), "age": (20, 2), "religion": (600, 3)}  # (pairs, flips up)


def write_pairs(path: Path) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["sent_more", "sent_less", "bias_type"])
        for group, (n, _) in CASES.items():
            writer.writerows([[f"{group} {i} more.", f"{group} {i} less.", group] for i in range(n)])
    return path


def judgements(label: str, examples) -> list[dict]:
    """Half of each subgroup stereotyped at baseline; a variant flips the first k no's."""
    seen: dict[str, int] = {}
    records = []
    for e in examples:
        i = seen[e.subgroup] = seen.get(e.subgroup, -1) + 1
        flips = CASES[e.subgroup][1]
        stereotyped = i % 2 == 0 or (label != "baseline" and i // 2 < flips)
        records.append({"ll_more": 0.0, "ll_less": 0.0, "stereotyped": stereotyped})
    return records


def constructed_evaluation(plan, checks, store, progress=None, reference=None, text_scorers=None) -> ModelEvaluation:
    records = {metric.name: judgements(plan.label, examples) for metric, examples, _ in checks}
    description = {
        "model": plan.ref.model,
        "revision": None,
        "sha256": "0" * 64,
        "identity": plan.label,
        "dtype": plan.dtype,
        "device": "cpu",
        "compression": None,
    }
    return ModelEvaluation(plan.label, description, records, 0.0, 0, 0)


def spec_text(name: str, statistics: str = "", check: str = "") -> str:
    return f"""
name = "{name}"
[statistics]
{statistics}
[baseline]
model = "builtin:smollm2-135m-instruct"
[[variants]]
name = "v"
quantization = {{ method = "hqq", nbits = 4, group_size = 64 }}
[[checks]]
metric = "crows_pairs.stereotype_score"
data = {{ path = "pairs.csv" }}
tolerance = 0.08
{check}
"""
