"""The commented starter spec `fairgate init` writes: one variant per quantization method and
a small set of checks with the tolerances the measured noise supports (docs/statistics.md)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from engine import compression
from engine.models.source import BUILTIN_PREFIX, ModelRef
from engine.spec.docs import toml_value

DEFAULT_METHODS = ("hqq-4bit", "hqq-3bit", "bnb-nf4", "bnb-int8")
# Each method's starter variants, as inline TOML tables.
METHODS = {name: toml_value(table) for name, table in compression.starters().items()}

_HEADER = """\
# A fairgate spec: a baseline model, compressed variants of it, and the bias checks every
# variant must pass against the baseline. Check it with `fairgate validate {path}`, run it
# with `fairgate run {path}`. For completion and hover docs in an editor, write the schema
# beside it (`fairgate schema > fairgate.schema.json`) and start the file with the line
# `#:schema ./fairgate.schema.json`.
name = "{name}"   # names the report and the cache entries; letters, digits, . _ + -
seed = 0          # seeds every sample (max_examples) and the bootstrap

[baseline]
model = "{model}"   # builtin:NAME, a hub id, or a local checkpoint directory (relative to this file)
{revision}dtype = "float32"   # float32, bfloat16 or float16
"""
_HUB_REVISION = (
    '# revision = "<commit sha>"   # pin the hub id to a commit, so every run scores the same weights\n'
)

_VARIANT = """
[[variants]]
name = "{name}"   # in reports and `fairgate run --variant`
quantization = {quantization}
"""

_CHECKS = """
# Each check compares one metric on the same examples between the baseline and a variant.
# `tolerance` is the largest allowed worsening in any subgroup; `subgroups` overrides it where
# a subgroup has more or fewer examples. `fairgate list metrics` shows what can be checked,
# `fairgate list subgroups METRIC` a metric's subgroups.

# CrowS-Pairs, all 1,508 pairs: about two standard deviations of the paired flip noise at a
# 15% flip rate, sqrt(0.15 / n), rounded up (docs/statistics.md, "Default tolerances").
[[checks]]
metric = "crows_pairs.stereotype_score"
tolerance = 0.10
subgroups = {{ overall = 0.03, "race-color" = 0.04, gender = 0.05, socioeconomic = 0.06, nationality = 0.06, religion = 0.08, age = 0.08, "sexual-orientation" = 0.08 }}

# StereoSet, 200 clusters per domain (max_examples: a seeded sample per subgroup). Points:
# one flipped judgement moves a term's score by 3-5, 4-bit HQQ moved gender by 4.2.
[[checks]]
metric = "stereoset.ss"
max_examples = 200
tolerance = 5.0
subgroups = {{ religion = 8.0 }}   # 79 clusters only

# Winogender, all 720 sentences: 4-bit HQQ moved the accuracy by at most 0.005.
[[checks]]
metric = "winogender.accuracy"
tolerance = 0.03
"""


class UnknownMethod(ValueError):
    pass


def spec_name(model: str) -> str:
    """The model's last path part, as a spec name may be written."""
    last = re.split(r"[/:\\]", model.rstrip("/\\"))[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._+-]+", "-", last).lstrip("._+-")
    return cleaned or "my-model"


def spec_model(model: str, output: Path) -> str:
    """A local directory relative to where the spec is written (specs resolve paths against
    their own directory); a builtin name or hub id as given."""
    ref = ModelRef(model)
    if model.startswith(BUILTIN_PREFIX) or ref.kind == "hub":
        return model
    return Path(os.path.relpath(Path(model).expanduser().resolve(), output.resolve().parent)).as_posix()


def starter_spec(model: str, methods: list[str], output: Path) -> str:
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise UnknownMethod(
            f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}"
        )
    if not methods:
        raise UnknownMethod(f"give at least one method, from {', '.join(METHODS)}")
    hub = not model.startswith(BUILTIN_PREFIX) and ModelRef(model).kind == "hub"
    text = _HEADER.format(
        path=output.name,
        name=spec_name(model),
        model=spec_model(model, output),
        revision=_HUB_REVISION if hub else "",
    )
    text += "".join(_VARIANT.format(name=m, quantization=METHODS[m]) for m in dict.fromkeys(methods))
    return text + _CHECKS.format()
