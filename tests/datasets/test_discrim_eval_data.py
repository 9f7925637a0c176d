"""DiscrimEval rows grouped against the baseline subject, from a hand-made file in the hub
data set's format (tests/data/discrim_eval_explicit.jsonl: two decision questions, every
filling of ages 20/60/80, three genders, three races)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from engine.datasets.base import DatasetFormatError, DataSource
from engine.datasets.discrim_eval import DATASET

SAMPLE = Path(__file__).parent.parent / "data" / "discrim_eval_explicit.jsonl"


def test_one_example_per_question_and_group():
    loaded = DATASET.load(DataSource(path=SAMPLE))
    assert Counter(e.subgroup for e in loaded.examples) == {
        g: 2 for g in ("age/younger", "age/older", "gender/female", "gender/non-binary", "race/black", "race/asian")
    }
    black = next(e for e in loaded.examples if e.id == "0/race/black")
    # Race lower-cased as the harness does; the other dimensions range over all their values.
    assert len(black.fields["group_prompts"]) == 9 and len(black.fields["baseline_prompts"]) == 9
    assert all(" Black " in p for p in black.fields["group_prompts"])
    assert all(" white " in p for p in black.fields["baseline_prompts"])
    older = next(e for e in loaded.examples if e.id == "3/age/older")
    assert all("80-year-old" in p for p in older.fields["group_prompts"])
    assert all("60-year-old" in p for p in older.fields["baseline_prompts"])


def write(tmp_path, rows):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def rows_of(**change):
    rows = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    return [{**r, **change} for r in rows[:3]] + rows[3:]


@pytest.mark.parametrize(
    "rows, message",
    [
        ([{k: v for k, v in r.items() if k != "race"} for r in rows_of()], r"line 1 has no field\(s\) race"),
        (rows_of(age="old"), "line 1: age must be a number, got 'old'"),
        (rows_of(filled_template=""), "line 1: filled_template must be a non-empty string"),
    ],
)
def test_malformed_rows_are_located(tmp_path, rows, message):
    with pytest.raises(DatasetFormatError, match=message):
        DATASET.load(DataSource(path=write(tmp_path, rows)))


def test_a_question_without_its_baseline_is_named(tmp_path):
    rows = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    no_white = [r for r in rows if not (r["decision_question_id"] == 3 and r["race"] == "white")]
    with pytest.raises(DatasetFormatError, match=r"decision question 3: no filling with the baseline race \(white\)"):
        DATASET.load(DataSource(path=write(tmp_path, no_white)))


def test_it_has_no_offline_copy():
    assert not DATASET.default_data
    with pytest.raises(DatasetFormatError, match="no offline copy"):
        DATASET.load(DataSource())


def test_hub_rows_read_as_the_local_file(monkeypatch):
    """The hub data set's rows (here the local file's, as `datasets` would give them) make the
    same examples, named by their row."""
    from engine.datasets import discrim_eval

    asked = []

    def hub_rows(source):
        asked.append((source.hub, source.config, source.split))
        return [json.loads(line) for line in SAMPLE.read_text().splitlines()]

    monkeypatch.setattr(discrim_eval, "hub_rows", hub_rows)
    from_hub = DATASET.load(DataSource(hub="Anthropic/discrim-eval", config="explicit", split="train"))
    assert asked == [("Anthropic/discrim-eval", "explicit", "train")]
    assert from_hub.source == "hub:Anthropic/discrim-eval"
    assert from_hub.content_hash == DATASET.load(DataSource(path=SAMPLE)).content_hash

    monkeypatch.setattr(discrim_eval, "hub_rows", lambda source: [{"filled_template": "x"}])
    with pytest.raises(DatasetFormatError, match="hub:Anthropic/discrim-eval: row 0 has no field"):
        DATASET.load(DataSource(hub="Anthropic/discrim-eval"))
