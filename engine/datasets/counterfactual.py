"""Counterfactual prompts: one sentence start filled with every term of a demographic axis.

The default probe set, `data/counterfactual_templates.toml`, was written for this project
(Apache-2.0): 25 open-ended templates ("The {person} walked into the job interview and") and
7 axes of 5-8 terms each. Every template is filled with every term of every axis, so the
prompts of one template differ only in who they are about, and a gap between terms in how
the model continues them is the measurement. It complements BOLD when BOLD's groups do not
cover the ones a team needs; a check may name its own TOML file of the same format
(`data.path`); there is no hub form.

Articles: English picks "a" or "an" by sound ("a European", "an 80-year-old"), which no
spelling rule gets right, so each term is written with its article and a template chooses
between two slots: `{a_person}` (the term as written) and `{person}` (without the article,
after "the").

One Example per (axis, template) holding the prompts of all the axis's terms, subgroup =
axis, id "<axis>/<template index>": a `max_examples` cap samples templates, and every sampled
template is seen with every term, so the terms are always compared on the same sentences.
"""

from __future__ import annotations

import re
import string
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.datasets.base import (
    DatasetFormatError,
    DatasetModule,
    DataSource,
    Example,
    LoadedDataset,
    content_hash,
)
from engine.spec.locate import format_path, locate_keys, nearest_position

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

AXES = (
    "age",
    "disability",
    "gender",
    "nationality",
    "race_ethnicity",
    "religion",
    "sexual_orientation",
)
SLOTS = ("person", "a_person")
DEFAULT_FILE = Path(__file__).parent / "data" / "counterfactual_templates.toml"
TEMPLATES_HELP = "a list of sentence starts, each with a {person} or {a_person} slot"
AXES_HELP = "tables [axes.<axis>], each with `terms`"
TERMS_HELP = 'at least two noun phrases, each starting with its article ("a " or "an ")'

_WITH_ARTICLE = re.compile(r"(a|an) (\S(?:.*\S)?)")


@dataclass(frozen=True)
class Term:
    article: str  # "a" or "an", as written in the file
    phrase: str  # the term without its article

    def fill(self, template: str) -> str:
        return template.format(person=self.phrase, a_person=f"{self.article} {self.phrase}")


@dataclass(frozen=True)
class ProbeSet:
    templates: tuple[str, ...]
    axes: dict[str, tuple[Term, ...]]


@dataclass(frozen=True)
class _Located:
    """Builds errors that name the file, the line and column of a key, and the key."""

    file: Path
    positions: dict

    def error(self, key: tuple, message: str) -> DatasetFormatError:
        position, _ = nearest_position(self.positions, key)
        where = f"{self.file}:{position.line}:{position.column}" if position else str(self.file)
        return DatasetFormatError(f"{where}: {format_path(key)}: {message}")


def read_probe_set(path: Path) -> ProbeSet:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise DatasetFormatError(f"{path}: not UTF-8 text ({e})") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise DatasetFormatError(f"{path}: not valid TOML ({e})") from None
    at = _Located(path, locate_keys(text))
    for key in document:
        if key not in ("templates", "axes"):
            raise at.error(
                (key,), f"unexpected key; expected `templates` ({TEMPLATES_HELP}) and {AXES_HELP}"
            )
    return ProbeSet(_templates(document, at), _axes(document, at))


def _templates(document: dict[str, Any], at: _Located) -> tuple[str, ...]:
    templates = document.get("templates")
    if not isinstance(templates, list) or not templates:
        raise at.error(("templates",), f"expected {TEMPLATES_HELP}")
    for i, template in enumerate(templates):
        if not isinstance(template, str) or not template.strip():
            raise at.error(("templates", i), f"expected a sentence start, got {template!r}")
        _check_slots(template, at, ("templates", i))
    return tuple(templates)


def _check_slots(template: str, at: _Located, key: tuple) -> None:
    try:
        fields = [f for f in string.Formatter().parse(template) if f[1] is not None]
    except ValueError as e:  # an unmatched brace
        raise at.error(key, f"{e}; a literal brace is written twice ({{{{ or }}}})") from None
    if not fields:
        raise at.error(key, "has no slot; expected {person} or {a_person}")
    for _, name, spec, conversion in fields:
        if name not in SLOTS:
            raise at.error(key, f"unknown slot {{{name}}}; expected {{person}} or {{a_person}}")
        if spec or conversion:
            raise at.error(key, f"slot {{{name}}} has a conversion or format; write it plain")


def _axes(document: dict[str, Any], at: _Located) -> dict[str, tuple[Term, ...]]:
    axes = document.get("axes")
    if not isinstance(axes, dict) or not axes:
        raise at.error(("axes",), f"expected {AXES_HELP}")
    result = {}
    for axis, table in axes.items():
        if not isinstance(table, dict) or set(table) != {"terms"}:
            raise at.error(("axes", axis), "expected a table with only `terms`")
        result[axis] = _terms(table["terms"], at, ("axes", axis, "terms"))
    return result


def _terms(terms: Any, at: _Located, key: tuple) -> tuple[Term, ...]:
    if not isinstance(terms, list) or len(terms) < 2:
        raise at.error(key, f"expected {TERMS_HELP}")
    parsed: list[Term] = []
    for i, written in enumerate(terms):
        match = _WITH_ARTICLE.fullmatch(written) if isinstance(written, str) else None
        if match is None:
            raise at.error(
                key + (i,),
                f"expected a noun phrase starting with its article "
                f'("a " or "an "), got {written!r}',
            )
        term = Term(match[1], match[2])
        if any(t.phrase == term.phrase for t in parsed):
            raise at.error(
                key + (i,), f"repeats {term.phrase!r}; every term of an axis is a different one"
            )
        parsed.append(term)
    return tuple(parsed)


def load(source: DataSource) -> LoadedDataset:
    if source.hub is not None:
        raise DatasetFormatError(
            f"hub:{source.hub}: counterfactual templates are read from a TOML file; give "
            f"`path` = a file in the format of {DEFAULT_FILE.name}"
        )
    path = Path(source.path) if source.path else DEFAULT_FILE
    probes = read_probe_set(path)
    examples = tuple(
        Example(
            id=f"{axis}/{i}",
            subgroup=axis,
            fields={
                "axis": axis,
                "template": template,
                "prompts": {term.phrase: term.fill(template) for term in terms},
            },
        )
        for axis, terms in probes.axes.items()
        for i, template in enumerate(probes.templates)
    )
    return LoadedDataset("counterfactual", str(path), examples, content_hash(examples))


DATASET = DatasetModule(name="counterfactual", known_subgroups=AXES, load=load, unit="templates")
