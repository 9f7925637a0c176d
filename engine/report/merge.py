"""`fairgate merge RUN_DIR...`: the run directories of jobs that each judged some of a spec's
variants (a CI matrix, a batch scheduler; the baseline once, in a `--baseline-only` job or in
every variant job from the shared cache) made into one run, equal to a single run of the
whole spec.

Each input is cut back into the per-variant parts a single run writes, and the new run
directory is finished by the writer that finishes a single run, so its order, totals,
summary.md and report.html come from the same code. Fields that say where and when the work
was done, not what it found, differ between a merged and a single run, and between inputs:

- the run: `run_id`, `created`, `provenance` (the merging machine's); `merged_from` lists
  each input's run id, directory, creation time and provenance;
- a spec: `file` (its path on the machine that ran it) and each check's `dataset.source`;
- a model: `seconds`, `cache_hits`, `batches_computed`, `weights_loaded`, and in its
  description `path` (where the checkpoint lay), `gguf.file` (where its GGUF file lay) and
  `generation` (that job's throughput).

Everything else (spec hash and content, samples, models' identities, values, records,
verdicts) must agree wherever two inputs hold the same thing, or the merge is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.report import run_dir, writer
from engine.report.run_dir import NoResults, load_results

VOLATILE_RUN = ("run_id", "created", "provenance", "merged_from")
VOLATILE_SPEC = ("file",)
VOLATILE_DATASET = ("source",)
VOLATILE_MODEL = ("seconds", "cache_hits", "batches_computed", "weights_loaded")
VOLATILE_DESCRIPTION = ("path", "generation")
VOLATILE_GGUF = ("file",)
BASELINE = "baseline"


class MergeRefused(Exception):
    """The run directories cannot make one run: what differs or is missing, and where."""


def _without(entry: dict, keys: tuple[str, ...]) -> dict:
    return {k: v for k, v in entry.items() if k not in keys}


def comparable_spec(entry: dict) -> dict:
    """A spec entry (models and verdicts aside) without the fields that may differ."""
    checks = {
        name: {**check, "dataset": _without(check["dataset"], VOLATILE_DATASET)}
        for name, check in entry["checks"].items()
    }
    return {**_without(entry, VOLATILE_SPEC + ("models", "verdicts")), "checks": checks}


def comparable_model(entry: dict) -> dict:
    description = _without(entry["model"], VOLATILE_DESCRIPTION)
    if "gguf" in description:
        description["gguf"] = _without(description["gguf"], VOLATILE_GGUF)
    return {**_without(entry, VOLATILE_MODEL), "model": description}


def comparable(results: dict) -> dict:
    """A run's results without the fields that may differ between runs of the same work."""
    specs = {
        name: {
            **comparable_spec(spec),
            "models": {label: comparable_model(m) for label, m in spec["models"].items()},
            "verdicts": spec["verdicts"],
        }
        for name, spec in results["specs"].items()
    }
    return {**_without(results, VOLATILE_RUN), "specs": specs}


def first_difference(a, b, where: str = "") -> str | None:
    """The path of the first value that differs between two JSON values; None if equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return f"{where}.{key}"
            found = first_difference(a[key], b[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return next(
            (d for i, (x, y) in enumerate(zip(a, b)) if (d := first_difference(x, y, f"{where}[{i}]"))), None
        )
    return None if a == b else where or "(the whole value)"


@dataclass
class _Held:
    run: Path  # the input it came from
    value: dict


def _agree(what: str, held: _Held, run: Path, value: dict, comparable_form, remedy: str) -> None:
    where = first_difference(comparable_form(held.value), comparable_form(value))
    if where is not None:
        raise MergeRefused(f"{what}: {held.run} and {run} differ at {where.lstrip('.')}; {remedy}")


def _check_spec(name: str, held: _Held, run: Path, entry: dict) -> None:
    if held.value["sha256"] != entry["sha256"]:
        raise MergeRefused(
            f"spec {name!r}: {held.run} ran a spec file with sha256 {held.value['sha256'][:12]}, "
            f"{run} one with {entry['sha256'][:12]}; merge only runs of one spec file "
            "(run every job from the same commit)"
        )
    _agree(
        f"spec {name!r}", held, run, entry, comparable_spec,
        "the same spec file scored different data or samples: give every job the same data",
    )


def _check_baseline(name: str, held: _Held, run: Path, entry: dict) -> None:
    a, b = held.value["model"]["identity"], entry["model"]["identity"]
    if a != b:
        raise MergeRefused(
            f"spec {name!r}: the baseline of {held.run} is model identity {a[:12]}, that of {run} "
            f"{b[:12]}: their variants were judged against different baselines; run every job "
            "on the same baseline model (same revision and dtype)"
        )
    _agree(
        f"spec {name!r}, baseline", held, run, entry, comparable_model,
        "the same baseline scored differently, so verdicts against it would not compare; run "
        "the variant jobs on the baseline job's cache (--cache) and the same device",
    )


def _parts(inputs: list[tuple[Path, dict]]) -> dict[str, dict]:
    specs: dict[str, _Held] = {}
    baselines: dict[str, _Held] = {}
    variants: dict[tuple[str, str], _Held] = {}
    for run, results in inputs:
        for name, spec in results["specs"].items():
            entry = _without(spec, ("models", "verdicts"))
            if name in specs:
                _check_spec(name, specs[name], run, entry)
            specs.setdefault(name, _Held(run, entry))
            baseline = spec["models"][BASELINE]
            if name in baselines:
                _check_baseline(name, baselines[name], run, baseline)
            baselines.setdefault(name, _Held(run, baseline))
            for label, model in spec["models"].items():
                if label == BASELINE:
                    continue
                judged = {
                    "baseline": baseline,
                    "model": model,
                    "verdicts": [v for v in spec["verdicts"] if v["variant"] == label],
                }
                if (name, label) in variants:
                    _agree(
                        f"spec {name!r}, variant {label!r}", variants[(name, label)], run, judged,
                        lambda j: {"model": comparable_model(j["model"]), "verdicts": j["verdicts"]},
                        "both judged it with different results; merge one of them",
                    )
                variants.setdefault((name, label), _Held(run, judged))
    runs = ", ".join(str(run) for run, _ in inputs)
    parts = {}
    for name, held in specs.items():
        missing = [v["name"] for v in held.value["spec"]["variants"] if (name, v["name"]) not in variants]
        if missing:
            raise MergeRefused(
                f"spec {name!r}: no run directory given judged variant(s) {', '.join(missing)} "
                f"(given: {runs}); run them (fairgate run SPEC --variant NAME) and merge their "
                "run directories too"
            )
        for v in held.value["spec"]["variants"]:
            judged = variants[(name, v["name"])].value
            parts[run_dir.part_name(name, v["name"])] = {
                "spec": held.value,
                "models": {BASELINE: judged["baseline"], v["name"]: judged["model"]},
                "verdicts": judged["verdicts"],
            }
    return parts


def merge_runs(runs: list[Path], reports: Path) -> tuple[Path, dict]:
    """One run directory under `reports` from the run directories `runs`; returns it and its
    results. Raises MergeRefused, and writes nothing, when they cannot make one run."""
    inputs = []
    for run in runs:
        try:
            inputs.append((run, load_results(run)))
        except NoResults as e:
            raise MergeRefused(str(e)) from None
    parts = _parts(inputs)
    directory = reports / run_dir.new_run_id()
    for name, part in parts.items():
        run_dir.write_part(directory, name, part)
    merged_from = [
        {"run_id": r["run_id"], "directory": str(run), "created": r["created"], "provenance": r["provenance"]}
        for run, r in inputs
    ]
    return directory, writer.finish(directory, {"merged_from": merged_from})
