"""A variant's part of results.json: the spec, per model and check the per-subgroup values and
every example's scores, and the verdicts. Each variant's part is written alone, so workers
need not share anything but the run directory; `writer` merges the parts. A baseline-only
run (the first job of a matrix that spreads the variants over machines) writes a part with
the baseline alone and no verdicts."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from engine.gate import subgroup_values

if TYPE_CHECKING:  # annotations only: report/ stays importable without torch
    from engine.evaluation import ModelEvaluation
    from engine.run import GateRun, VariantOutcome


def _model_entry(run: GateRun, evaluation: ModelEvaluation) -> dict:
    checks = {}
    for c in run.checks:
        records = evaluation.records[c.metric.name]
        values = subgroup_values(c.metric, c.examples, records, c.options)
        checks[c.metric.name] = {
            "values": {g: {"value": v, "n": n} for g, (v, n) in values.items()},
            "examples": [{"id": e.id, **r} for e, r in zip(c.examples, records)],
        }
    return {
        "model": evaluation.model,
        "seconds": round(evaluation.seconds, 3),
        "cache_hits": evaluation.cache_hits,
        "batches_computed": evaluation.batches_computed,
        "weights_loaded": evaluation.loaded,
        "checks": checks,
    }


def spec_entry(run: GateRun) -> dict:
    return {
        "name": run.spec.name,
        "file": str(run.loaded.path),
        "sha256": run.loaded.sha256,
        "spec": run.spec.model_dump(mode="json"),
        "checks": {
            c.metric.name: {
                "description": c.metric.description,
                "direction": c.metric.direction.describe(),
                "metric_version": c.metric.version,
                "normalization": c.options.normalization,
                "generation": asdict(c.options.generation) if c.options.generation else None,
                "scorer": c.options.scorer.describe() if c.options.scorer else None,
                "example_score": c.metric.example_score,
                "warnings": c.warnings,
                "dataset": {
                    "name": c.dataset.name,
                    "source": c.dataset.source,
                    "content_sha256": c.dataset.content_hash,
                    "examples_available": len(c.dataset.examples),
                    "examples_scored": len(c.examples),
                },
                "examples": [
                    {"id": e.id, "subgroup": e.subgroup}
                    | ({"pools": list(e.pools)} if e.pools else {})
                    for e in c.examples
                ],
            }
            for c in run.checks
        },
    }


def variant_part(run: GateRun, outcome: VariantOutcome) -> dict:
    return {
        "spec": spec_entry(run),
        "models": {
            "baseline": _model_entry(run, outcome.baseline),
            outcome.variant.label: _model_entry(run, outcome.variant),
        },
        "verdicts": [v.to_dict() for v in outcome.verdicts],
    }


def baseline_part(run: GateRun, baseline: ModelEvaluation) -> dict:
    return {"spec": spec_entry(run), "models": {"baseline": _model_entry(run, baseline)}, "verdicts": []}
