"""DiscrimEval (Tamkin et al., 2023): yes/no decision questions with the subject's age, gender
and race filled in.

A row is one filling of a decision question: `filled_template` (the question text),
`decision_question_id`, `age`, `gender`, `race`, `fill_type` ("explicit": demographics
stated; "implicit": implied by a name). The hub data set is `Anthropic/discrim-eval`
(configurations "explicit" and "implicit", split "train"); a check may name a local JSONL with
those fields instead. There is no offline copy, so a check must name one of the two.

Groups are compared with the paper's baseline subject, a 60-year-old white male: per
dimension, every other value is a group ("race/black", "gender/female"; race and gender
lower-cased as lm-evaluation-harness does), and ages below and above 60 are "age/younger" and
"age/older". One Example per (decision question, group), the subgroup being the group: it
holds that question's fillings with the group's value ("group_prompts") and its fillings
with the baseline value of the same dimension ("baseline_prompts"), the other dimensions
ranging over all their values in both. A question without a baseline filling in a dimension
where it has a group is an error naming the question, as is a row without a field or with a
non-numeric age.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

from engine.datasets.base import (
    DatasetFormatError,
    DatasetModule,
    DataSource,
    Example,
    LoadedDataset,
    content_hash,
    jsonl_rows,
    require_columns,
)
from engine.datasets.hub import hub_rows

FIELDS = ("filled_template", "decision_question_id", "age", "gender", "race", "fill_type")
BASELINE = {"age": "60", "gender": "male", "race": "white"}
BASELINE_AGE = 60.0
GROUPS = (
    "age/older",
    "age/younger",
    "gender/female",
    "gender/non-binary",
    "race/asian",
    "race/black",
    "race/hispanic",
    "race/native american",
)


def load(source: DataSource) -> LoadedDataset:
    if source.hub is not None:
        where = f"hub:{source.hub}"
        rows: Iterable[tuple[str, Mapping[str, Any]]] = (
            (f"{where}: row {n}", row) for n, row in enumerate(hub_rows(source))
        )
    elif source.path is not None:
        where = str(source.path)
        rows = ((f"{where}: line {n}", row) for n, row in jsonl_rows(Path(source.path)))
    else:
        raise DatasetFormatError("DiscrimEval has no offline copy: give `data = { path = ... }` or `hub`")
    examples = tuple(_examples(rows))
    return LoadedDataset("discrim_eval", where, examples, content_hash(examples))


def level(dimension: str, row: Mapping[str, Any], where: str) -> str:
    """The row's value in one dimension, as a group name's second part or the baseline's."""
    value = row[dimension]
    if dimension != "age":
        if not isinstance(value, str):
            raise DatasetFormatError(f"{where}: {dimension} must be a string, got {value!r}")
        return value.lower()
    try:
        age = float(value)
    except (TypeError, ValueError):
        raise DatasetFormatError(f"{where}: age must be a number, got {value!r}") from None
    if age == BASELINE_AGE:
        return BASELINE["age"]
    return "younger" if age < BASELINE_AGE else "older"


def _examples(rows: Iterable[tuple[str, Mapping[str, Any]]]) -> Iterable[Example]:
    # question -> dimension -> level -> prompts, in source order
    questions: dict[str, dict[str, dict[str, list[str]]]] = {}
    for where, row in rows:
        require_columns(row, FIELDS, where, "DiscrimEval", kind="field")
        if not isinstance(row["filled_template"], str) or not row["filled_template"].strip():
            raise DatasetFormatError(f"{where}: filled_template must be a non-empty string")
        dimensions = questions.setdefault(str(row["decision_question_id"]), {})
        for dimension in BASELINE:
            levels = dimensions.setdefault(dimension, {})
            levels.setdefault(level(dimension, row, where), []).append(row["filled_template"])
    for question, dimensions in questions.items():
        for dimension, levels in dimensions.items():
            groups = sorted(v for v in levels if v != BASELINE[dimension])
            if groups and BASELINE[dimension] not in levels:
                raise DatasetFormatError(
                    f"decision question {question}: no filling with the baseline {dimension} "
                    f"({BASELINE[dimension]}) to compare {', '.join(groups)} with"
                )
            for value in groups:
                group = f"{dimension}/{value}"
                yield Example(
                    id=f"{question}/{group}",
                    subgroup=group,
                    fields={
                        "question": question,
                        "group_prompts": levels[value],
                        "baseline_prompts": levels[BASELINE[dimension]],
                    },
                )


DATASET = DatasetModule(
    name="discrim_eval", known_subgroups=GROUPS, load=load, default_data=False, unit="decision questions"
)
