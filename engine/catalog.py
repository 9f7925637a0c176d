"""What a spec can name, read from where the loader reads it: the metric registry, the data
set modules, the quantization models (through their JSON Schema, as editors see them) and
the scorer registry. Each function returns the lines `fairgate list` prints."""

from __future__ import annotations

import sys

from engine import compression
from engine.classifiers.registry import scorer_options
from engine.datasets.base import OVERALL, DatasetModule
from engine.metrics.registry import get_metric, metric_names
from engine.spec.checks import did_you_mean

KINDS = ("metrics", "datasets", "subgroups", "quantization", "scorers")


class UnknownName(LookupError):
    pass


def datasets() -> dict[str, DatasetModule]:
    """Every data set a metric reads, by name."""
    return {get_metric(name).dataset.name: get_metric(name).dataset for name in metric_names()}


def metric_lines() -> list[str]:
    width = max(map(len, metric_names()))
    lines = []
    for name in metric_names():
        metric = get_metric(name)
        extra = f"; needs scorer: {' or '.join(metric.scorers)}" if metric.scorers else ""
        lines.append(
            f"{name:<{width}}  {metric.description} "
            f"[{metric.dataset.name}; {metric.direction.describe()}{extra}]"
        )
    return lines


def dataset_lines() -> list[str]:
    modules = datasets()
    width = max(map(len, modules))
    lines = []
    for name, module in sorted(modules.items()):
        readers = [m for m in metric_names() if get_metric(m).dataset.name == name]
        lines.append(
            f"{name:<{width}}  {_first_sentence(sys.modules[module.load.__module__].__doc__)} "
            f"[{_subgroup_count(module)}; read by {', '.join(readers)}]"
        )
    return lines


def _subgroup_count(module: DatasetModule) -> str:
    return f"{len(module.subgroups)} subgroups" if _fixed_subgroups(module) else "subgroups from your file"


def _own_subgroups(module: DatasetModule) -> list[str]:
    if _fixed_subgroups(module):
        return list(module.subgroups)
    return ["(the `subgroup` values of the check's own file)"]


def _fixed_subgroups(module: DatasetModule) -> bool:
    """Whether its subgroups are known without the check's file: from its built-in copy, or
    fixed by its format (RealToxicityPrompts' challenging flag and prompt toxicity)."""
    return module.default_data or bool(module.known_subgroups)


def subgroup_lines(name: str | None = None) -> list[str]:
    """Subgroups of one metric or data set, or of every data set; raises UnknownName."""
    modules = datasets()
    if name is None:
        return [f"{n}: {', '.join(_own_subgroups(module))}, {OVERALL}" for n, module in sorted(modules.items())]
    if name in metric_names():
        module = get_metric(name).dataset
    elif name in modules:
        module = modules[name]
    else:
        choices = metric_names() + sorted(modules)
        raise UnknownName(
            f"unknown metric or data set {name!r}{did_you_mean(name, choices)}; "
            "`fairgate list metrics` and `fairgate list datasets` show them"
        )
    return [*_own_subgroups(module), f"{OVERALL}  (every example of the check together)"]


def quantization_lines() -> list[str]:
    """One block per method configuration: its description, what it declares about itself,
    then one line per field; a table nested in it follows as a block of its own."""
    lines: list[str] = []
    for step in compression.step_classes():
        schema = step.model_json_schema()
        lines += _definition_lines(schema)
        needs = ", ".join([*step.packages, *filter(None, [step.environment])]) or "torch only"
        if step.builds_checkpoint or step.builds_gguf:
            when = "builds a new model file before anything is loaded"
        else:
            when = "while the checkpoint is read" if step.while_loading else "after loading"
        kind = "quantizes" if step.quantizes else "changes weight values only"
        lines.append(f"  ({kind}, {when}; needs {needs}; engines: {', '.join(step.engines)})")
        for nested in schema.get("$defs", {}).values():
            lines += _definition_lines(nested)
    return lines


def _definition_lines(definition: dict) -> list[str]:
    lines = [f"{definition['title']}: {definition.get('description', '')}".rstrip()]
    required = set(definition.get("required", ()))
    for field, schema in definition["properties"].items():
        lines.append(f"  {field} = {_values(schema)}{'' if field in required else ' (optional)'}"
                     f"  {schema.get('description', '')}".rstrip())
    return lines


def scorer_lines() -> list[str]:
    users: dict[str, list[str]] = {}
    for name in metric_names():
        for scorer in get_metric(name).scorers:
            users.setdefault(scorer, []).append(name)
    lines = []
    for scorer, metrics in sorted(users.items()):
        options = ", ".join(scorer_options(scorer)) or "none"
        lines.append(f"{scorer}  options: {options} [for {', '.join(metrics)}]")
    return lines


def _values(schema: dict) -> str:
    """The values a field takes, TOML-written: a constant, the choices, or type and default."""
    if "const" in schema:
        return _toml(schema["const"])
    if "$ref" in schema:
        shown = f"table ({schema['$ref'].rsplit('/', 1)[-1]}, below)"
    elif "enum" in schema:
        shown = "|".join(_toml(v) for v in schema["enum"])
    else:
        shown = schema.get("type", "value")
    return f"{shown} (default {_toml(schema['default'])})" if "default" in schema else shown


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return f'"{value}"' if isinstance(value, str) else str(value)


def _first_sentence(doc: str | None) -> str:
    paragraph = " ".join((doc or "").strip().split("\n\n")[0].split())
    end = paragraph.find(". ")
    return paragraph if end < 0 else paragraph[: end + 1]
