"""The spec's JSON Schema (`fairgate schema`, committed as specs/fairgate.schema.json), shaped
for taplo / Even Better TOML.

taplo validates with draft-4 semantics when told so, and its hover and completion follow a
`$ref` without reading the keywords beside it, so pydantic's output is rewritten into plain
draft-4 without references:
- every `$ref` is replaced by a copy of its definition, so a field's own description (kept
  over the definition's) is what the editor shows; no spec model is recursive or large. The
  usual `{"allOf": [{"$ref": ...}], "description": ...}` wrapper would not do: taplo's hover
  leaves out any schema that has an `allOf`, description included;
- `const` becomes a one-value `enum` (draft 4 has no `const`: the quantization discriminators
  `method` and `bits` would go unchecked);
- a numeric `exclusiveMinimum`/`exclusiveMaximum` becomes draft 4's `minimum` plus `true`;
- `null` alternatives and `default: null` go: TOML has no null, an optional key is left out;
- OpenAPI's `discriminator` goes: its mapping points into the removed `$defs`.
`examples` (draft 6) stays: draft-4 validators ignore it and editors that know it show it.
"""

from __future__ import annotations

from typing import Any

from engine.spec.models import Spec

DRAFT_4 = "http://json-schema.org/draft-04/schema#"
_NULL = {"type": "null"}
_EXCLUSIVE_BOUNDS = {"exclusiveMinimum": "minimum", "exclusiveMaximum": "maximum"}
# Keywords whose values are data (or names), not schemas: copied as they are.
_DATA_KEYWORDS = {"default", "enum", "examples", "required", "pattern"}


def spec_schema() -> dict:
    generated = Spec.model_json_schema()
    definitions = generated.pop("$defs", {})
    out = {"$schema": DRAFT_4, **_draft4(generated, definitions)}
    out["title"] = "fairgate spec"
    return out


def _draft4(schema: Any, definitions: dict) -> Any:
    if isinstance(schema, list):
        return [_draft4(item, definitions) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = _inline_reference(_without_null(schema), definitions)
    out = {}
    for key, value in schema.items():
        if key == "discriminator" or (key == "default" and value is None):
            continue
        if key == "const":
            out["enum"] = [value]
        elif key in _EXCLUSIVE_BOUNDS:
            out[_EXCLUSIVE_BOUNDS[key]] = value
            out[key] = True
        elif key in _DATA_KEYWORDS:
            out[key] = value
        elif key == "properties":
            out[key] = {name: _draft4(field, definitions) for name, field in value.items()}
        else:
            out[key] = _draft4(value, definitions)
    return out


def _without_null(schema: dict) -> dict:
    """`anyOf: [X, null]` as X itself, keeping the wrapper's own keywords (description...)."""
    alternatives = schema.get("anyOf")
    if alternatives is None or _NULL not in alternatives:
        return schema
    rest = [alternative for alternative in alternatives if alternative != _NULL]
    wrapper = {key: value for key, value in schema.items() if key != "anyOf"}
    if len(rest) == 1:
        return {**rest[0], **wrapper}
    return {"anyOf": rest, **wrapper}


def _inline_reference(schema: dict, definitions: dict) -> dict:
    """The referenced definition with the referring schema's own keywords laid over it."""
    reference = schema.get("$ref")
    if reference is None:
        return schema
    target = definitions[reference.removeprefix("#/$defs/")]
    siblings = {key: value for key, value in schema.items() if key != "$ref"}
    return {**target, **siblings}
