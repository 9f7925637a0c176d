"""docs/spec.md: the hand-written guide in docs/spec.template.md with a field reference
rendered from the spec's pydantic models, so the reference cannot drift from the loader.

Regenerate with `python -m engine.spec.docs` (tests/spec/test_docs.py compares).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel

from engine.classifiers.registry import scorer_names
from engine.metrics.registry import metric_names
from engine import compression
from engine.compression.base import CompressionStep
from engine.spec.models import (
    BaselineSpec,
    EngineSpec,
    CheckSpec,
    DataSpec,
    GenerationSpec,
    ScorerSpec,
    Spec,
    StatisticsSpec,
    VariantSpec,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"
TEMPLATE = DOCS / "spec.template.md"
OUTPUT = DOCS / "spec.md"
REFERENCE_MARKER = "<!-- field reference -->"
SHA = "0123456789abcdef0123456789abcdef01234567"
HUB_MODEL = "my-org/my-model"
TOXICITY_METRIC = "bold_generation.toxicity"


@dataclass(frozen=True)
class Section:
    """One table of the spec. `prefix` is the TOML that must precede the table in an example
    (its parent table); `required` are the sibling keys every example of it needs."""

    title: str
    key_path: str  # how problems name its keys, e.g. `checks[0].data.` as `checks[].data.`
    model: type[BaseModel]
    header: str = ""
    prefix: str = ""
    required: dict[str, Any] = field(default_factory=dict)
    skip: tuple[str, ...] = ()  # fields documented by a section of their own


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _method_sections(step: type[CompressionStep]) -> list[Section]:
    """A method's table as its own class documents it, and each table nested in it."""
    doc = step.documented
    # A method the default engine cannot run is shown in a spec on an engine that can.
    engine = "" if "transformers" in step.engines else f'[engine]\nname = "{step.engines[0]}"\n'
    nested = [
        Section(
            f"[variants.quantization.{name}]", f"variants[].quantization.{name}.",
            step.model_fields[name].annotation, f"[variants.quantization.{name}]",
            prefix=f'{engine}[[variants]]\nname = "{variant}"\n[variants.quantization]\n'
            + "".join(f"{_key(k)} = {toml_value(v)}\n" for k, v in required.items()),
        )
        for name, (variant, required) in doc.nested.items()
    ]
    own = Section(
        f"quantization: {doc.title}", "variants[].quantization.", step, "[variants.quantization]",
        prefix=f'{engine}[[variants]]\nname = "{doc.variant}"\n', required=doc.required,
        skip=tuple(doc.nested),
    )
    return [own, *nested]


CHECK_PREFIX = '[[checks]]\nmetric = "crows_pairs.stereotype_score"\ntolerance = 0.05\n'
SECTIONS = (
    Section(
        "Top level", "", Spec,
        skip=("statistics", "engine", "baseline", "variants", "checks"),
    ),
    Section("[statistics]", "statistics.", StatisticsSpec, "[statistics]"),
    Section("[engine]", "engine.", EngineSpec, "[engine]"),
    Section(
        "[baseline]", "baseline.", BaselineSpec, "[baseline]",
        required={"model": "builtin:smollm2-135m-instruct"},
    ),
    Section("[[variants]]", "variants[].", VariantSpec, "[[variants]]", required={"name": "my-build"}),
    *(section for step in compression.step_classes() for section in _method_sections(step)),
    Section(
        "[[checks]]", "checks[].", CheckSpec, "[[checks]]",
        required={"metric": "crows_pairs.stereotype_score", "tolerance": 0.05},
    ),
    Section("[checks.data]", "checks[].data.", DataSpec, "[checks.data]", prefix=CHECK_PREFIX),
    Section(
        "[checks.generation]", "checks[].generation.", GenerationSpec, "[checks.generation]",
        prefix='[[checks]]\nmetric = "real_toxicity_prompts.toxicity_probability"\n'
        'data = { path = "data/prompts.jsonl" }\nscorer = "profanity_check"\ntolerance = 0.05\n',
    ),
    Section(
        "[checks.scorer]", "checks[].scorer.", ScorerSpec, "[checks.scorer]",
        prefix=f'[[checks]]\nmetric = "{TOXICITY_METRIC}"\ntolerance = 0.05\n',
        required={"name": "detoxify"},
    ),
)

SAMPLING = {"do_sample": True}
VLLM = {"name": "vllm"}
# Per (model, field): an example value, and sibling keys the value needs to be valid.
EXAMPLES: dict[tuple[type, str], tuple[Any, dict[str, Any]]] = {
    (Spec, "name"): ("my-model-int4", {}),
    (Spec, "seed"): (1234, {}),
    (StatisticsSpec, "rule"): ("significant", {}),
    (StatisticsSpec, "confidence"): (0.9, {}),
    (StatisticsSpec, "resamples"): (5000, {}),
    (StatisticsSpec, "correction"): ("holm", {"rule": "significant"}),
    (StatisticsSpec, "correction_scope"): ("variant", {"rule": "significant", "correction": "bh"}),
    (StatisticsSpec, "min_examples"): (20, {}),
    (EngineSpec, "name"): ("vllm", {}),
    (EngineSpec, "tensor_parallel_size"): (4, VLLM),
    (EngineSpec, "pipeline_parallel_size"): (2, VLLM),
    (EngineSpec, "gpu_memory_utilization"): (0.85, VLLM),
    (EngineSpec, "max_model_len"): (4096, VLLM),
    (EngineSpec, "enforce_eager"): (True, VLLM),
    (EngineSpec, "distributed_executor_backend"): ("ray", VLLM),
    (BaselineSpec, "engine"): ("transformers", {}),
    (BaselineSpec, "device_map"): ("auto", {}),
    (BaselineSpec, "max_memory"): ({"0": "70GiB", "1": "70GiB", "cpu": "200GiB"}, {"device_map": "auto"}),
    (VariantSpec, "engine"): ("transformers", {}),
    (BaselineSpec, "model"): ("builtin:smollm2-135m-instruct", {}),
    (BaselineSpec, "revision"): (SHA, {"model": HUB_MODEL}),
    (BaselineSpec, "dtype"): ("bfloat16", {}),
    (BaselineSpec, "device"): ("cpu", {}),
    (BaselineSpec, "trust_remote_code"): (True, {"model": HUB_MODEL, "revision": SHA}),
    (BaselineSpec, "batch_size"): (8, {}),
    (VariantSpec, "name"): ("hqq-4bit-g64", {}),
    (VariantSpec, "model"): ("./checkpoints/gptq-4bit", {}),
    (VariantSpec, "revision"): (SHA, {"model": f"{HUB_MODEL}-gptq"}),
    (VariantSpec, "trust_remote_code"): (True, {"model": f"{HUB_MODEL}-gptq", "revision": SHA}),
    (VariantSpec, "dtype"): ("float16", {}),
    (VariantSpec, "quantization"): ({"method": "hqq", "nbits": 4, "group_size": 64}, {}),
    (VariantSpec, "compression"): (
        [{"method": "prune", "pattern": "2:4"}, {"method": "hqq", "nbits": 4}], {}
    ),
    (VariantSpec, "allow_broken"): (True, {}),
    (CheckSpec, "metric"): ("stereoset.ss", {}),
    (CheckSpec, "data"): ({"path": "data/my-pairs.csv"}, {}),
    (CheckSpec, "max_examples"): (300, {}),
    (CheckSpec, "normalization"): ("per_byte", {"metric": "stereoset.ss"}),
    (CheckSpec, "generation"): (
        {"max_new_tokens": 20}, {"metric": "bold_generation.sentiment"}
    ),
    (CheckSpec, "scorer"): ("profanity_check", {"metric": TOXICITY_METRIC}),
    (CheckSpec, "tolerance"): (0.03, {}),
    (CheckSpec, "subgroups"): ({"gender": 0.02, "race-color": 0.02}, {}),
    (CheckSpec, "rule"): ("equivalent", {}),
    (CheckSpec, "min"): (0.4, {}),
    (CheckSpec, "max"): (0.6, {}),
    (CheckSpec, "min_examples"): (10, {}),
    (CheckSpec, "bins"): (5, {"metric": "bbq.calibration_error"}),
    (CheckSpec, "degenerate_tolerance"): (0.1, {"metric": "bold_generation.sentiment"}),
    (DataSpec, "path"): ("data/my-pairs.csv", {}),
    (DataSpec, "hub"): ("jannalu/crows_pairs_multilingual", {}),
    (DataSpec, "config"): ("english", {"hub": "jannalu/crows_pairs_multilingual"}),
    (DataSpec, "split"): ("dev", {}),
    (DataSpec, "revision"): (SHA, {"hub": "jannalu/crows_pairs_multilingual"}),
    (GenerationSpec, "max_new_tokens"): (20, {}),
    (GenerationSpec, "do_sample"): (True, {}),
    (GenerationSpec, "seed"): (7, SAMPLING),
    (GenerationSpec, "temperature"): (0.7, SAMPLING),
    (GenerationSpec, "top_p"): (0.9, SAMPLING),
    (GenerationSpec, "samples"): (25, SAMPLING),
    (ScorerSpec, "name"): ("detoxify", {}),
    (ScorerSpec, "options"): ({"model_type": "original"}, {}),
}


def _named(names) -> str:
    return ", ".join(f"`{name}`" for name in names)


# Values the models accept as any string but the registries restrict; read at render time.
REGISTRY_VALUES: dict[tuple[type, str], Callable[[], str]] = {
    (CheckSpec, "metric"): lambda: f"{_named(metric_names())} (`fairgate list metrics`)",
    (CheckSpec, "scorer"): lambda: f"{_named(scorer_names())} (only those the metric accepts)",
    (ScorerSpec, "name"): lambda: f"{_named(scorer_names())} (only those the metric accepts)",
    (CheckSpec, "subgroups"): lambda: "keys: the metric's subgroups or `overall` "
    "(`fairgate list subgroups`)",
}


def render() -> str:
    template = TEMPLATE.read_text(encoding="utf-8")
    return template.replace(REFERENCE_MARKER, reference().rstrip("\n"))


def reference() -> str:
    return "\n".join(_section(section) for section in SECTIONS)


def _section(section: Section) -> str:
    schema = section.model.model_json_schema()
    lines = [f"### {section.title}", ""]
    if section.model.__doc__ and section.model.__doc__ != BaseModel.__doc__:
        lines += [" ".join(section.model.__doc__.split()), ""]
    lines += ["| key | type | default | allowed values | description |", "|---|---|---|---|---|"]
    for name, info in section.model.model_fields.items():
        prop = schema["properties"][name]
        cells = [
            f"`{name}`",
            _type(prop, schema.get("$defs", {})),
            _default(info),
            _allowed_values(section, name, prop, schema.get("$defs", {})),
            info.description or "",
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines.append("")
    for name in section.model.model_fields:
        if name in section.skip:
            continue
        lines += [f"#### `{section.key_path}{name}`", "", "```toml", example(section, name).rstrip("\n"), "```", ""]
    return "\n".join(lines)


def example(section: Section, name: str) -> str:
    """A fragment that sets `name`, with the siblings and parent table it needs."""
    value, siblings = _example_value(section.model, name)
    keys = {**section.required, **siblings, name: value}
    body = "".join(f"{_key(k)} = {toml_value(v)}\n" for k, v in keys.items())
    return section.prefix + (section.header + "\n" if section.header else "") + body


def _example_value(model: type[BaseModel], name: str) -> tuple[Any, dict[str, Any]]:
    if (model, name) in EXAMPLES:
        return EXAMPLES[(model, name)]
    documented = getattr(model, "documented", None)
    if documented is not None and name in documented.examples:
        return documented.examples[name]
    examples = model.model_fields[name].examples
    if examples:
        return examples[0], {}
    raise KeyError(f"no documentation example for {model.__name__}.{name}; add one to EXAMPLES")


def _default(info) -> str:
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        made = info.default_factory()
        if isinstance(made, BaseModel):
            return "every key's default"
        return f"`{toml_value(made)}`"
    if info.default is None:
        return "not set"
    return f"`{toml_value(info.default)}`"


def _type(prop: dict, defs: dict) -> str:
    if "$ref" in prop:
        return _type(defs[prop["$ref"].rsplit("/", 1)[-1]], defs)
    for combinator in ("anyOf", "oneOf"):
        if combinator in prop:
            names = [_type(p, defs) for p in prop[combinator] if p.get("type") != "null"]
            return " or ".join(dict.fromkeys(names))
    if "enum" in prop or "const" in prop:
        values = prop.get("enum", [prop.get("const")])
        return "integer" if all(isinstance(v, int) for v in values) else "string"
    kind = prop.get("type")
    if kind == "array":
        return f"array of {_plural(_type(prop.get('items', {}), defs))}"
    if kind == "object":
        values = prop.get("additionalProperties")
        if isinstance(values, dict) and "properties" not in prop:
            return f"table of {_plural(_type(values, defs))}"
        return "table"
    return {"number": "number", "integer": "integer", "boolean": "boolean", "string": "string"}.get(
        kind, "value"
    )


def _plural(kind: str) -> str:
    return {"table": "tables", "number": "numbers", "string": "strings"}.get(kind, kind)


def _allowed_values(section: Section, name: str, prop: dict, defs: dict) -> str:
    if name in section.skip:
        return "the table's own section, below"
    structural = _allowed(prop, defs)
    registry = REGISTRY_VALUES.get((section.model, name))
    if registry is None:
        return structural
    return registry() + ("" if structural == "-" else f"; {structural}")


def _allowed(prop: dict, defs: dict) -> str:
    if "$ref" in prop:
        return _allowed(defs[prop["$ref"].rsplit("/", 1)[-1]], defs)
    parts = []
    for p in prop.get("anyOf", [prop]):
        if "$ref" in p:
            p = defs[p["$ref"].rsplit("/", 1)[-1]]
        if "discriminator" in p:
            tags = ", ".join(f"`{tag}`" for tag in p["discriminator"]["mapping"])
            parts.append(f"`{p['discriminator']['propertyName']}` = {tags}; a section per method below")
        values = p.get("enum", [p["const"]] if "const" in p else [])
        parts += [", ".join(f"`{toml_value(v)}`" for v in values)] if values else []
        parts += _bounds(p)
        values_schema = p.get("additionalProperties")
        if isinstance(values_schema, dict) and _bounds(values_schema):
            parts.append("each value " + ", ".join(_bounds(values_schema)))
    return "; ".join(parts) or "-"


def _bounds(prop: dict) -> list[str]:
    symbols = {
        "minimum": "≥", "exclusiveMinimum": ">", "maximum": "≤", "exclusiveMaximum": "<",
    }
    out = [f"{symbol} {prop[key]:g}" for key, symbol in symbols.items() if key in prop]
    if "pattern" in prop:
        out.append(f"matches `{prop['pattern']}`")
    if "minItems" in prop:
        out.append(f"at least {prop['minItems']}")
    return out


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def main() -> int:
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
