"""What a spec's run would cost, from its data alone: examples per check after the
per-subgroup cap, and the sequences, forward passes and generated tokens per model.

Each check's data is read as the run reads it (so a missing offline copy or a malformed
local file is found here, located at the check); a hub data set is not downloaded, only
noted. What checks share (the same requests) is counted once, as a run computes it once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from engine.datasets.assets import AssetMissing
from engine.datasets.base import DatasetFormatError, sample_per_subgroup
from engine.dry_run import DryRun, ScoringCount
from engine.metrics.registry import get_metric
from engine.spec.checks import data_source, subgroup_problems
from engine.spec.loader import LoadedSpec, located_error


@dataclass(frozen=True)
class CheckCost:
    metric: str
    examples: int
    scoring: ScoringCount  # the work this check adds to the checks before it


@dataclass(frozen=True)
class SpecCost:
    checks: list[CheckCost]
    downloads: list[str]  # checks whose data is a hub data set, not read here
    models: int  # the baseline and every variant each score everything
    seconds: float  # spent reading data and counting

    @property
    def per_model(self) -> ScoringCount:
        total = ScoringCount()
        for check in self.checks:
            total = total + check.scoring
        return total


def estimate(loaded: LoadedSpec) -> SpecCost:
    """Raises SpecError, located at the check, when a check's data cannot be read or lacks
    a subgroup the check names."""
    start = time.perf_counter()
    spec = loaded.spec
    checks: list[CheckCost] = []
    downloads: list[str] = []
    dry_run = DryRun(spec.baseline.batch_size)
    problems: list[tuple[tuple, str]] = []
    for i, check in enumerate(spec.checks):
        metric = get_metric(check.metric)
        source = data_source(check, loaded.directory)
        if source.hub is not None:
            downloads.append(f"{check.metric}: hub data set {source.hub} (downloaded at run time)")
            continue
        try:
            dataset = metric.dataset.load(source)
        except (AssetMissing, DatasetFormatError, OSError) as e:
            where = ("checks", i, "data") if check.data is not None else ("checks", i, "metric")
            problems.append((where, f"its data cannot be read: {e}"))
            continue
        problems += subgroup_problems(i, check, dataset)
        examples = sample_per_subgroup(dataset.examples, check.max_examples, spec.seed, metric.dataset.name)
        generation = (
            check.generation.config(spec.seed) if check.generation else metric.default_generation(spec.seed)
        )
        options = metric.options(check.normalization, generation)
        checks.append(CheckCost(check.metric, len(examples), dry_run.count(metric, examples, options)))
    if problems:
        raise located_error(loaded.path, problems)
    return SpecCost(checks, downloads, 1 + len(spec.variants), time.perf_counter() - start)


def render(cost: SpecCost, batch_size: int) -> list[str]:
    """Indented lines for under a spec's "ok" line."""
    lines = []
    for check in cost.checks:
        lines.append(f"  {check.metric}: {check.examples:,} examples, {_work(check.scoring, batch_size)}")
    lines += [f"  note: {line}" for line in cost.downloads]
    total = cost.per_model
    lines.append(
        f"  per model: {_work(total, batch_size)}; {cost.models} models (baseline and "
        f"{cost.models - 1} variants); data read and counted in {cost.seconds:.1f} s"
    )
    return lines


def _work(count: ScoringCount, batch_size: int) -> str:
    parts = []
    if count.sequences:
        parts.append(
            f"{count.sequences:,} distinct sequences scored in about {count.batches:,} "
            f"forward passes of {batch_size}"
        )
    if count.prompts:
        parts.append(
            f"{count.prompts:,} continuations generated in {count.generate_calls:,} generate calls, "
            f"at most {count.max_generated_tokens:,} new tokens"
        )
    return "; ".join(parts) or "scored by the checks above"
