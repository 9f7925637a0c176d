"""One spec end to end: its checks' examples, the baseline once, each variant against it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from engine.classifiers.registry import path_options
from engine.datasets.base import Example, LoadedDataset, sample_per_subgroup
from engine.datasets.assets import AssetMissing
from engine.evaluation import ModelEvaluation, Progress, evaluate_model
from engine.gate import Resampled, Verdict, correct, judge, subgroups_of
from engine.metrics.registry import Metric, ScoringOptions, get_metric
from engine.models.plan import ModelPlan
from engine.models.source import ModelRef
from engine.run_errors import RunError, broken_compression
from engine.scoring.text_scores import ScorerChoice, TextScorers
from engine.spec.checks import data_source, resolved_path, subgroup_problems
from engine.spec.loader import LoadedSpec, located_error
from engine.spec.models import CheckSpec
from engine.store import ResultStore


@dataclass(frozen=True)
class PreparedCheck:
    check: CheckSpec
    metric: Metric
    dataset: LoadedDataset
    examples: tuple[Example, ...]  # the deterministic sample the models are scored on
    options: ScoringOptions

    @property
    def subgroups(self) -> list[str]:
        return subgroups_of(self.examples)

    @cached_property
    def short_subgroups(self) -> dict[str, int]:
        """Subgroups smaller than the requested sample: their verdicts rest on fewer examples."""
        cap = self.check.max_examples
        if cap is None:
            return {}
        counts: dict[str, int] = {}
        for e in self.examples:
            counts[e.subgroup] = counts.get(e.subgroup, 0) + 1
        return {group: n for group, n in sorted(counts.items()) if n < cap}

    def warning(self, subgroup: str) -> str:
        n = self.short_subgroups[subgroup]
        return (
            f"{self.metric.name} / {subgroup}: only {n} example{'s' * (n != 1)}, "
            f"fewer than max_examples = {self.check.max_examples}"
        )

    @property
    def warnings(self) -> list[str]:
        return [self.warning(group) for group in self.short_subgroups]


@dataclass
class VariantOutcome:
    baseline: ModelEvaluation
    variant: ModelEvaluation
    verdicts: list[Verdict]


class GateRun:
    def __init__(
        self,
        loaded: LoadedSpec,
        store: ResultStore,
        progress: Progress | None = None,
        text_scorers: TextScorers | None = None,
    ) -> None:
        """`text_scorers`: the run's text classifiers, shared with the other specs of a run;
        default: this gate's own."""
        self.loaded = loaded
        self.spec = loaded.spec
        self.store = store
        self.progress = progress
        self.text_scorers = text_scorers or TextScorers(store)

    @cached_property
    def checks(self) -> list[PreparedCheck]:
        prepared = []
        for i, check in enumerate(self.spec.checks):
            metric = get_metric(check.metric)
            dataset = self._load_data(i, check, metric)
            problems = subgroup_problems(i, check, dataset)
            if problems:
                raise located_error(self.loaded.path, problems)
            # Salted by data set, so checks on one data set score the same sample.
            examples = sample_per_subgroup(
                dataset.examples, check.max_examples, self.spec.seed, metric.dataset.name
            )
            options = self._options(check, metric)
            prepared.append(PreparedCheck(check, metric, dataset, tuple(examples), options))
        return prepared

    def _load_data(self, i: int, check: CheckSpec, metric: Metric) -> LoadedDataset:
        try:
            return metric.dataset.load(data_source(check, self.loaded.directory))
        except AssetMissing as e:
            problem, what_to_do = str(e), "then run the gate again"
        except OSError as e:  # a data file removed or unreadable since the spec was validated
            problem = f"cannot read the data for {check.metric}: {e}"
            what_to_do = "restore the file or fix `data` in the spec, then run `fairgate validate`"
        raise RunError(self.loaded.path, f"checks[{i}] ({check.metric})", problem, what_to_do)

    def _options(self, check: CheckSpec, metric: Metric) -> ScoringOptions:
        generation = (
            check.generation.config(self.spec.seed)
            if check.generation
            else metric.default_generation(self.spec.seed)
        )
        return metric.options(check.normalization, generation, self._scorer_choice(check), check.bins)

    def _scorer_choice(self, check: CheckSpec) -> ScorerChoice | None:
        scorer = check.scorer_spec
        if scorer is None:
            return None
        paths = path_options(scorer.name)
        options = {
            option: str(resolved_path(value, self.loaded.directory)) if option in paths else value
            for option, value in scorer.options.items()
        }
        return ScorerChoice(scorer.name, tuple(sorted(options.items())))


    def plan(self, variant: str | None) -> ModelPlan:
        base = self.spec.baseline
        ref = ModelRef(base.model, base.revision, self.loaded.directory)
        engine = {
            "engine": self.spec.engine.name,
            "engine_options": tuple(sorted(self.spec.engine.vllm_options().items())),
            "device_map": base.device_map,
            "max_memory": tuple(sorted((base.max_memory or {}).items())),
        }
        if variant is None:
            return ModelPlan(
                "baseline", ref, base.dtype, base.device, None, base.trust_remote_code,
                base.batch_size, self.loaded.path, prefix_token=base.prefix_token, **engine,
            )
        v = self.spec.variant(variant)
        if v.model is not None:
            ref = ModelRef(v.model, v.revision, self.loaded.directory)
        return ModelPlan(
            label=v.name,
            ref=ref,
            dtype=v.dtype or base.dtype,
            device=base.device,
            # A one-step chain is the same model as that step alone, and is cached as such.
            quantization=v.steps[0] if len(v.steps) == 1 else (v.steps or None),
            trust_remote_code=v.trust_remote_code if v.model is not None else base.trust_remote_code,
            batch_size=base.batch_size,
            spec_file=self.loaded.path,
            allow_broken=v.allow_broken,
            prefix_token=base.prefix_token,
            **engine,
        )

    def _evaluate(self, variant: str | None) -> ModelEvaluation:
        scored = [(c.metric, c.examples, c.options) for c in self.checks]
        reference = None if variant is None else self.baseline
        return evaluate_model(
            self.plan(variant), scored, self.store, self.progress, reference, self.text_scorers
        )

    @cached_property
    def baseline(self) -> ModelEvaluation:
        with self.store.exclusive(f"baseline-{self.loaded.sha256}"):
            return self._evaluate(None)

    @cached_property
    def _baseline_resampled(self) -> dict[str, dict[str, Resampled]]:
        """Per check and subgroup, filled by the first variant judged and reused by the rest."""
        return {c.metric.name: {} for c in self.checks}

    def evaluate_variant(self, name: str) -> VariantOutcome:
        baseline = self.baseline
        variant = self._evaluate(name)
        verdicts = []
        for c in self.checks:
            verdicts += judge(
                name,
                c.metric,
                c.check,
                self.spec.statistics,
                self.spec.seed,
                c.examples,
                baseline.records[c.metric.name],
                variant.records[c.metric.name],
                self._baseline_resampled[c.metric.name],
            )
        verdicts = correct(verdicts, self.spec.statistics)
        broken = broken_compression(variant.model.get("compression"))
        if broken is not None:  # judged only because the spec allows it: say so on every item
            note = f"{broken}; judged only because the variant sets allow_broken = true"
            verdicts = [replace(v, warnings=v.warnings + (note,)) for v in verdicts]
        return VariantOutcome(baseline, variant, verdicts)
