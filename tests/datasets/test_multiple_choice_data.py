"""A spec's own multiple-choice JSONL file: what loads, and what is refused with its line."""

from __future__ import annotations

import json

import pytest

from engine.datasets import multiple_choice
from engine.datasets.base import DatasetFormatError, DataSource

ITEM = {"id": 1, "subgroup": "age", "prompt": "Who forgot?\nA:", "choices": ["the old man", "unknown"], "answer": 1}


def write(tmp_path, *rows) -> DataSource:
    path = tmp_path / "items.jsonl"
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return DataSource(path=path)


def test_loads_items_with_their_subgroups(tmp_path):
    loaded = multiple_choice.load(write(tmp_path, ITEM, "", {**ITEM, "id": "b", "subgroup": "sex", "choices": ["x"], "answer": 0}))
    assert [e.id for e in loaded.examples] == ["1", "b"]
    assert loaded.subgroups == ["age", "sex"]
    assert loaded.examples[0].fields == {"prompt": "Who forgot?\nA:", "choices": ["the old man", "unknown"], "answer": 1}
    assert loaded.source == str(tmp_path / "items.jsonl")


@pytest.mark.parametrize(
    "row, message",
    [
        ({k: v for k, v in ITEM.items() if k != "answer"}, "line 2 has no key(s) answer"),
        ({**ITEM, "answer": 2}, "line 2: answer must be the index of the gold choice, 0 to 1, not 2"),
        ({**ITEM, "answer": True}, "answer must be the index"),
        ({**ITEM, "choices": []}, "choices must be a list of non-empty strings"),
        ({**ITEM, "choices": ["a", ""]}, "choices must be a list of non-empty strings"),
        ({**ITEM, "subgroup": ""}, "subgroup must be a non-empty string"),
        ({**ITEM, "id": [1]}, "id must be a string or an integer"),
        ({**ITEM, "prompt": None}, "prompt must be a string"),
        (ITEM, "line 2: id '1' again (first on line 1)"),
        ("[1, 2]", "line 2 is not a JSON object"),
        ("{oops", "line 2 is not JSON"),
    ],
)
def test_malformed_rows_name_file_and_line(tmp_path, row, message):
    with pytest.raises(DatasetFormatError) as e:
        multiple_choice.load(write(tmp_path, ITEM, row))
    assert message in str(e.value) and "items.jsonl" in str(e.value)


def test_empty_file_and_no_path(tmp_path):
    with pytest.raises(DatasetFormatError, match="no items"):
        multiple_choice.load(write(tmp_path, ""))
    with pytest.raises(DatasetFormatError, match="no built-in data"):
        multiple_choice.load(DataSource())
    assert multiple_choice.DATASET.default_data is False
