"""A spec's own multiple-choice items, from a local JSON Lines file.

One object per line: `id` (string or integer, unique), `subgroup` (string), `prompt`
(string), `choices` (a list of at least one non-empty string) and `answer` (the index of the
gold choice). Each choice is scored as the continuation of the prompt after a single space,
lm-evaluation-harness's target delimiter, so a prompt usually ends with "Answer:" or "A:".
There is no built-in copy: a check names its file with `data = { path = "items.jsonl" }`.
"""

from __future__ import annotations

from pathlib import Path

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

NAME = "multiple_choice"
KEYS = ("id", "subgroup", "prompt", "choices", "answer")


def load(source: DataSource) -> LoadedDataset:
    if source.path is None:
        raise DatasetFormatError(
            f"{NAME} has no built-in data (nor a hub format): give `data = {{ path = \"items.jsonl\" }}` "
            f"with one JSON object per line holding {', '.join(KEYS)}"
        )
    path = Path(source.path)
    examples: list[Example] = []
    seen: dict[str, int] = {}
    for n, row in jsonl_rows(path):
        where = f"{path}: line {n}"
        example = _example(row, where)
        if example.id in seen:
            raise DatasetFormatError(f"{where}: id {example.id!r} again (first on line {seen[example.id]})")
        seen[example.id] = n
        examples.append(example)
    if not examples:
        raise DatasetFormatError(f"{path}: no items (one JSON object per line expected)")
    found = tuple(examples)
    return LoadedDataset(NAME, str(path), found, content_hash(found))


def _example(row: dict, where: str) -> Example:
    require_columns(row, KEYS, where, NAME, kind="key")
    item_id, subgroup, prompt, choices, answer = (row[k] for k in KEYS)
    if isinstance(item_id, bool) or not isinstance(item_id, (str, int)):
        raise DatasetFormatError(f"{where}: id must be a string or an integer, not {item_id!r}")
    if not isinstance(subgroup, str) or not subgroup:
        raise DatasetFormatError(f"{where}: subgroup must be a non-empty string, not {subgroup!r}")
    if not isinstance(prompt, str):
        raise DatasetFormatError(f"{where}: prompt must be a string, not {prompt!r}")
    if (
        not isinstance(choices, list)
        or not choices
        or not all(isinstance(c, str) and c for c in choices)
    ):
        raise DatasetFormatError(f"{where}: choices must be a list of non-empty strings, not {choices!r}")
    if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(choices):
        raise DatasetFormatError(
            f"{where}: answer must be the index of the gold choice, 0 to {len(choices) - 1}, not {answer!r}"
        )
    fields = {"prompt": prompt, "choices": choices, "answer": answer}
    return Example(str(item_id), subgroup, fields)


DATASET = DatasetModule(NAME, (), load, default_data=False, unit="items")
