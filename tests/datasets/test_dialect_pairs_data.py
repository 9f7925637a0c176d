"""A spec's own parallel sentences in two varieties: what loads, and what is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.datasets import dialect_pairs
from engine.datasets.base import DatasetFormatError, DataSource

ROW = {"text_a": "He be working.", "text_b": "He is usually working.", "variety_a": "AAE", "variety_b": "SAE"}
EXAMPLE = Path(__file__).parents[2] / "specs" / "examples" / "data" / "dialect_pairs_en_gb_us.csv"


def jsonl(tmp_path, *rows) -> DataSource:
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return DataSource(path=path)


def test_jsonl_pairs_with_and_without_subgroup(tmp_path):
    loaded = dialect_pairs.load(jsonl(tmp_path, ROW, {**ROW, "id": "x", "subgroup": "habitual"}))
    assert [(e.id, e.subgroup) for e in loaded.examples] == [("0", "AAE/SAE"), ("x", "habitual")]
    assert loaded.examples[0].fields == ROW


def test_the_shipped_example_csv():
    loaded = dialect_pairs.load(DataSource(path=EXAMPLE))
    assert loaded.subgroups == ["spelling", "vocabulary"]
    assert len(loaded.examples) == 12
    assert {(e.fields["variety_a"], e.fields["variety_b"]) for e in loaded.examples} == {("en-GB", "en-US")}


@pytest.mark.parametrize(
    "row, message",
    [
        ({k: v for k, v in ROW.items() if k != "variety_b"}, "line 2 has no key(s) variety_b"),
        ({**ROW, "text_a": " "}, "line 2: text_a must be a non-empty string"),
        ({**ROW, "text_b": 3}, "line 2: text_b must be a non-empty string"),
        ({**ROW, "id": 0}, "line 2: id '0' again (first on line 1)"),
        ({**ROW, "id": [1]}, "line 2: id must be a string or an integer"),
        ({**ROW, "subgroup": 5}, "line 2: subgroup must be a string"),
        ({**ROW, "subgroup": "AAE/SAE", "variety_b": "WME"}, "is AAE vs WME here but AAE vs SAE on line 1"),
        ("{oops", "line 2 is not JSON"),
    ],
)
def test_malformed_rows_name_file_and_line(tmp_path, row, message):
    with pytest.raises(DatasetFormatError) as e:
        dialect_pairs.load(jsonl(tmp_path, {**ROW, "id": 0}, row))
    assert message in str(e.value) and "pairs.jsonl" in str(e.value)


def test_csv_header_and_rows(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("text_a,text_b,variety_a\nx,y,AAE\n")
    with pytest.raises(DatasetFormatError, match=r"pairs.csv: header has no column\(s\) variety_b"):
        dialect_pairs.load(DataSource(path=path))
    path.write_text('text_a,text_b,variety_a,variety_b\n"two\nlines",y,AAE,SAE\nz,,AAE,SAE\n')
    with pytest.raises(DatasetFormatError, match="pairs.csv: line 4: text_b must be a non-empty string"):
        dialect_pairs.load(DataSource(path=path))


def test_no_path_empty_file_and_other_formats(tmp_path):
    with pytest.raises(DatasetFormatError, match="no built-in data"):
        dialect_pairs.load(DataSource())
    with pytest.raises(DatasetFormatError, match="no pairs"):
        dialect_pairs.load(jsonl(tmp_path, ""))
    with pytest.raises(DatasetFormatError, match="ends in .csv or .jsonl"):
        dialect_pairs.load(DataSource(path=tmp_path / "pairs.tsv"))
    assert dialect_pairs.DATASET.default_data is False
