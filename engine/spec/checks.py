"""Cross-references in a structurally valid spec: names that must exist, paths, pinning.

Each problem carries the exact key path it is about, so it is reported at the right line.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from engine.classifiers.registry import (
    file_problem,
    path_options,
    required_options,
    scorer_names,
    scorer_options,
)
from engine.datasets.base import OVERALL, DataSource, LoadedDataset
from engine.metrics.registry import Metric, get_metric, metric_names
from engine.models import builtin
from engine.models.source import BUILTIN_PREFIX, COMMIT_SHA, ModelRef, ModelSourceError, check_ref
from engine.spec.engine_checks import engine_problems
from engine.spec.models import CheckSpec, ScorerSpec, Spec, VariantSpec

Problem = tuple[tuple, str]


def did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def cross_check(spec: Spec, spec_dir: Path) -> list[Problem]:
    problems: list[Problem] = []
    problems += _model_problems(("baseline",), spec.baseline, spec_dir)
    if spec.baseline.prefix_token is not None and not problems:
        problems += _prefix_token_problems(spec, spec_dir)
    seen: dict[str, int] = {}
    for i, variant in enumerate(spec.variants):
        if variant.name in seen:
            problems.append(
                (
                    ("variants", i, "name"),
                    f"duplicate variant name {variant.name!r} (also variants[{seen[variant.name]}])",
                )
            )
        seen.setdefault(variant.name, i)
        if variant.model is not None:
            problems += _model_problems(("variants", i), variant, spec_dir)
        problems += compression_problems(("variants", i), variant)
        problems += gguf_build_problems(("variants", i), variant, spec.baseline.model, spec_dir)
    problems += engine_problems(spec)
    metrics_seen: dict[str, int] = {}
    for i, check in enumerate(spec.checks):
        if check.metric not in metric_names():
            problems.append(
                (
                    ("checks", i, "metric"),
                    f"unknown metric {check.metric!r}{did_you_mean(check.metric, metric_names())}; "
                    f"known metrics: {', '.join(metric_names())}",
                )
            )
            continue
        if check.metric in metrics_seen:
            problems.append(
                (
                    ("checks", i, "metric"),
                    f"metric {check.metric!r} is checked twice (also checks[{metrics_seen[check.metric]}])",
                )
            )
        metrics_seen.setdefault(check.metric, i)
        metric = get_metric(check.metric)
        built_in_data = check.data is None or (check.data.path is None and check.data.hub is None)
        if check.normalization is not None and metric.normalization is None:
            problems.append(
                (
                    ("checks", i, "normalization"),
                    f"{check.metric} does not compare continuations of different lengths, "
                    "so it takes no `normalization`",
                )
            )
        if check.bins is not None and metric.bins is None:
            problems.append(
                (
                    ("checks", i, "bins"),
                    f"{check.metric} does not bin by confidence, so it takes no `bins` "
                    "(calibration error metrics do)",
                )
            )
        if check.degenerate_tolerance is not None and (metric.generation is None or metric.reference):
            problems.append(
                (
                    ("checks", i, "degenerate_tolerance"),
                    f"{check.metric} does not judge the variant's own generated text, so it takes "
                    "no `degenerate_tolerance` (sentiment and toxicity metrics do)",
                )
            )
        problems += _generation_problems(("checks", i), check, metric, spec_dir)
        if built_in_data and not metric.dataset.default_data:
            problems.append(
                (
                    ("checks", i),
                    f"{check.metric} has no built-in data: give `data = {{ path = \"items.jsonl\" }}`",
                )
            )
        elif built_in_data:
            valid = list(metric.dataset.subgroups) + [OVERALL]
            for name in check.subgroups:
                if name not in valid:
                    problems.append(
                        (("checks", i, "subgroups", name), unknown_subgroup(name, check.metric, valid))
                    )
        elif check.data.path is not None and not (spec_dir / check.data.path).exists():
            problems.append(
                (("checks", i, "data", "path"), f"data path {spec_dir / check.data.path} does not exist")
            )
    return problems


# Per kind of score a metric's scorer gives: what the scorer is, in a spec's errors, and a hint.
_SCORER_ROLES = {
    "toxicity": (
        "the toxicity classifier",
        "a toxicity classifier",
        " (profanity_check works offline out of the box)",
    ),
    "hurtful": (
        "the HurtLex lexicon",
        "a lexicon",
        " with `options = { path = \"hurtlex_EN.tsv\" }` (HurtLex's published TSV)",
    ),
}


def _generation_problems(path: tuple, check: CheckSpec, metric: Metric, spec_dir: Path) -> list[Problem]:
    """`generation` and `scorer` only where the metric uses them; a named, known scorer with
    known options where it needs one."""
    problems: list[Problem] = []
    if check.generation is not None and metric.generation is None:
        problems.append(
            (path + ("generation",), f"{metric.name} generates no text, so it takes no `generation`")
        )
    if check.generation is not None and check.generation.samples > 1 and not metric.samples:
        problems.append(
            (
                path + ("generation", "samples"),
                f"{metric.name} reads one continuation per prompt, so it takes no `samples` "
                "(honest and real_toxicity_prompts metrics do)",
            )
        )
    scorer = check.scorer_spec
    if scorer is None:
        if metric.scorers:
            problems.append(
                (
                    path + ("scorer",),
                    f"{metric.name} needs `scorer`, {_SCORER_ROLES[metric.example_score][0]}: one of "
                    f"{', '.join(metric.scorers)}{_SCORER_ROLES[metric.example_score][2]}",
                )
            )
        return problems
    if not metric.scorers:
        what = "VADER sentiment by definition" if metric.example_score == "sentiment" else "no classifier"
        problems.append((path + ("scorer",), f"{metric.name} uses {what}, so it takes no `scorer`"))
        return problems
    name_path = path + ("scorer",) + (("name",) if isinstance(check.scorer, ScorerSpec) else ())
    if scorer.name not in metric.scorers:
        if scorer.name in scorer_names():
            message = f"scorer {scorer.name!r} is not {_SCORER_ROLES[metric.example_score][1]}"
        else:
            message = f"unknown scorer {scorer.name!r}{did_you_mean(scorer.name, scorer_names())}"
        problems.append((name_path, f"{message}; {metric.name} takes one of: {', '.join(metric.scorers)}"))
        return problems
    return problems + _scorer_option_problems(path + ("scorer", "options"), scorer, spec_dir)


def _scorer_option_problems(path: tuple, scorer: ScorerSpec, spec_dir: Path) -> list[Problem]:
    problems: list[Problem] = []
    accepted = scorer_options(scorer.name)
    for option in required_options(scorer.name):
        if option not in scorer.options:
            problems.append((path, f"scorer {scorer.name!r} needs the option {option!r}"))
    for option, value in scorer.options.items():
        if option not in accepted:
            problems.append(
                (
                    path + (option,),
                    f"scorer {scorer.name!r} has no option {option!r}{did_you_mean(option, accepted)}; "
                    + (f"it accepts {', '.join(accepted)}" if accepted else "it takes no options"),
                )
            )
        elif option in path_options(scorer.name) and not resolved_path(value, spec_dir).exists():
            problems.append((path + (option,), f"{option} {resolved_path(value, spec_dir)} does not exist"))
    if problems:
        return problems
    paths = path_options(scorer.name)
    resolved = {o: resolved_path(v, spec_dir) if o in paths else v for o, v in scorer.options.items()}
    problem = file_problem(scorer.name, resolved)
    return [(path, problem)] if problem else []


def resolved_path(value: object, spec_dir: Path) -> Path:
    """A path option as written in the spec: relative to the spec's directory, `~` expanded."""
    return spec_dir / Path(str(value)).expanduser()


def unknown_subgroup(name: str, metric: str, valid: list[str]) -> str:
    return (
        f"unknown subgroup {name!r} for {metric}{did_you_mean(name, valid)}; "
        f"valid subgroups: {', '.join(valid)}"
    )


def _model_problems(path: tuple, entry, spec_dir: Path) -> list[Problem]:
    problems: list[Problem] = []
    try:
        check_ref(ModelRef(entry.model, entry.revision, spec_dir))
    except ModelSourceError as e:
        problems.append((path + ("model",), str(e)))
    if entry.trust_remote_code and not (entry.revision and COMMIT_SHA.match(entry.revision)):
        problems.append(
            (
                path + ("revision",),
                "trust_remote_code = true runs the model repository's own code, so `revision` "
                "must pin it to a full 40-character commit sha",
            )
        )
    return problems


def _prefix_token_problems(spec: Spec, spec_dir: Path) -> list[Problem]:
    """`prefix_token` against each tokenizer that is on disk already (a local checkpoint, or
    a builtin model a run has converted); the others are checked when the run loads them."""
    from transformers import AutoTokenizer

    from engine.scoring.lm import single_token_id

    token = spec.baseline.prefix_token
    entries = [("the baseline", spec.baseline)] + [
        (f"variant {v.name!r}", v) for v in spec.variants if v.model is not None
    ]
    problems: list[Problem] = []
    for subject, entry in entries:
        directory = _tokenizer_on_disk(ModelRef(entry.model, entry.revision, spec_dir))
        # Validating must not run a model repository's own code.
        if directory is None or entry.trust_remote_code:
            continue
        try:
            tokenizer = AutoTokenizer.from_pretrained(directory)
        except (OSError, ValueError):
            continue  # an unreadable checkpoint is reported by the run, with what to do
        try:
            single_token_id(tokenizer, token)
        except ValueError as e:
            problems.append(
                (
                    ("baseline", "prefix_token"),
                    f"for {subject} ({entry.model}), {e}; name one token, or remove the key to "
                    "use the BOS token",
                )
            )
    return problems


def _tokenizer_on_disk(ref: ModelRef) -> Path | None:
    try:
        check_ref(ref)
    except ModelSourceError:
        return None  # reported at the entry's `model`
    if ref.kind == "local":
        return ref.local_path
    if ref.kind == "builtin":
        return builtin.converted_checkpoint(ref.model[len(BUILTIN_PREFIX) :])
    return None


def data_source(check: CheckSpec, spec_dir: Path) -> DataSource:
    """Where a check's data comes from, with a local path resolved against the spec."""
    data = check.data
    if data is None:
        return DataSource()
    path = spec_dir / data.path if data.path else None
    return DataSource(path, data.hub, data.config, data.split, data.revision)


def subgroup_problems(i: int, check: CheckSpec, dataset: LoadedDataset) -> list[Problem]:
    """Overrides must name subgroups the data has (a custom file's are only known once read)."""
    valid = dataset.subgroups + [OVERALL]
    return [
        (("checks", i, "subgroups", name), unknown_subgroup(name, check.metric, valid))
        for name in check.subgroups
        if name not in valid
    ]


def compression_problems(path: tuple, variant: VariantSpec) -> list[Problem]:
    """One of `quantization` and `compression`; in a chain, a method that quantizes while
    the checkpoint is read (bitsandbytes) only first, and nothing after a quantizing step
    (the later step would find quantized layers, not the float weights it works on)."""
    if variant.quantization is not None and variant.compression is not None:
        return [
            (
                path + ("compression",),
                "give either `quantization` (one step) or `compression` (steps in order), not both",
            )
        ]
    problems: list[Problem] = []
    quantized_by = None
    for j, step in enumerate(variant.compression or ()):
        if step.while_loading and j > 0:
            problems.append(
                (
                    path + ("compression", j),
                    f"{step.method} {_acts_when(step)}, so it can only be "
                    f"the first step (here it follows {variant.compression[j - 1].method})",
                )
            )
        elif quantized_by is not None:
            problems.append(
                (
                    path + ("compression", j),
                    f"{step.method} cannot follow {quantized_by}: the layers are already "
                    "quantized; prune before quantizing, and quantize once",
                )
            )
        if step.quantizes:
            quantized_by = quantized_by or step.method
    return problems



def _acts_when(step) -> str:
    if step.builds_checkpoint:
        return "builds a new checkpoint from the model's own before anything is loaded"
    if step.builds_gguf:
        return "builds a new GGUF from the model's own before anything is loaded"
    return "quantizes while the checkpoint is loaded"


def gguf_build_problems(path: tuple, variant: VariantSpec, baseline_model: str, spec_dir: Path) -> list[Problem]:
    """A step that builds a GGUF needs a GGUF to build from: a builtin model or a `.gguf` file."""
    model = variant.model or baseline_model
    if ModelRef(model, None, spec_dir).kind in ("builtin", "gguf"):
        return []
    key = ("quantization",) if variant.quantization is not None else ("compression", 0)
    return [
        (path + key + ("method",), f"{step.method} re-quantizes a GGUF file, and {model!r} is a "
         "checkpoint; use a builtin model or a `.gguf` file as the model")
        for step in variant.steps if step.builds_gguf
    ]
