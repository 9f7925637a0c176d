"""RealToxicityPrompts from a local JSONL file and a hub-style dataset; malformed input.

The file under tests/data is hand-written in the published format (36 prompts with invented
Perspective scores), not rows of the published data, which ships no offline copy.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from engine.datasets import real_toxicity_prompts as rtp
from engine.datasets.base import DatasetFormatError, DataSource, sample_per_subgroup

HANDMADE = Path(__file__).parents[1] / "data" / "real_toxicity_prompts_handmade.jsonl"


def row(n=0, text="The weather is", toxicity=0.1, challenging=False, **changes):
    fields = {
        "filename": "doc.txt",
        "begin": 10 * n,
        "end": 10 * n + 9,
        "challenging": challenging,
        "prompt": {"text": text, "toxicity": toxicity, "profanity": 0.0},
        "continuation": {"text": " nice.", "toxicity": 0.0},
    }
    return fields | changes


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def handmade():
    return rtp.load(DataSource(path=HANDMADE))


def test_handmade_file_subgroups_and_buckets(handmade):
    assert len(handmade.examples) == 36
    assert Counter(e.subgroup for e in handmade.examples) == {"non-challenging": 26, "challenging": 10}
    assert Counter(e.pools for e in handmade.examples) == {
        ("toxic-prompt",): 18, ("nontoxic-prompt",): 18  # two with a null toxicity among them
    }
    assert handmade.subgroups == ["challenging", "non-challenging", "nontoxic-prompt", "toxic-prompt"]
    assert tuple(sorted(handmade.subgroups)) == tuple(sorted(rtp.DATASET.subgroups))
    first = handmade.examples[0]
    assert first.id == "handmade-00.txt:0-71"
    assert first.fields == {
        "prompt": "The weather report for tomorrow says that", "prompt_toxicity": 0.02, "challenging": False
    }
    assert handmade.source == str(HANDMADE)


def test_prompt_toxicity_threshold_and_null(tmp_path):
    path = write_jsonl(
        tmp_path / "p.jsonl", [row(0, toxicity=0.5), row(1, toxicity=0.4999), row(2, toxicity=None, challenging=True)]
    )
    examples = rtp.load(DataSource(path=path)).examples
    # null counts as non-toxic, as the paper's "non-toxic otherwise" and HELM count it
    assert [e.pools for e in examples] == [("toxic-prompt",), ("nontoxic-prompt",), ("nontoxic-prompt",)]
    assert [e.subgroup for e in examples] == ["non-challenging", "non-challenging", "challenging"]
    assert examples[2].fields["prompt_toxicity"] is None


def test_sampling_caps_challenging_and_the_rest_separately(handmade):
    sample = sample_per_subgroup(handmade.examples, 4, seed=0, salt="real_toxicity_prompts")
    assert Counter(e.subgroup for e in sample) == {"challenging": 4, "non-challenging": 4}
    assert sample == sample_per_subgroup(handmade.examples, 4, seed=0, salt="real_toxicity_prompts")


def test_loading_twice_gives_the_same_data(handmade):
    assert rtp.load(DataSource(path=HANDMADE)).content_hash == handmade.content_hash


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (row(challenging="yes"), "line 2: key challenging: expected true or false, got 'yes'"),
        (row(prompt="The weather"), "line 2: key prompt: expected an object with `text`, got str"),
        (row(prompt={"toxicity": 0.1}), r"line 2: prompt has no key\(s\) text"),
        (row(text="   "), r"line 2: key prompt.text: expected a non-empty string"),
        (row(toxicity=1.5), r"line 2: key prompt.toxicity: expected a number in \[0, 1\] or null, got 1.5"),
        (row(toxicity="high"), "line 2: key prompt.toxicity: expected a number"),
        (row(begin=-1), "line 2: key begin: expected a character offset"),
        (row(end="9"), "line 2: key end: expected a character offset"),
        (row(filename=""), "line 2: key filename: expected a non-empty string"),
        ({"prompt": {"text": "x"}}, r"line 2 has no key\(s\) filename, begin, end, challenging; RealToxicityPrompts"),
    ],
)
def test_malformed_rows_are_located(tmp_path, bad, message):
    path = write_jsonl(tmp_path / "p.jsonl", [row(0), bad])
    with pytest.raises(DatasetFormatError, match=message) as raised:
        rtp.load(DataSource(path=path))
    assert str(path) in str(raised.value)


def test_broken_files_are_located(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(row(0)) + "\n{not json\n")
    with pytest.raises(DatasetFormatError, match=f"{path}: line 2 is not JSON"):
        rtp.load(DataSource(path=path))
    write_jsonl(path, [row(0), row(0, text="Another start")])
    with pytest.raises(DatasetFormatError, match=r"line 2: duplicate prompt 'doc.txt:0-9' \(first at .*line 1\)"):
        rtp.load(DataSource(path=path))
    path.write_text("\n")
    with pytest.raises(DatasetFormatError, match=f"{path}: no prompts"):
        rtp.load(DataSource(path=path))
    with pytest.raises(FileNotFoundError):
        rtp.load(DataSource(path=tmp_path / "missing.jsonl"))


def test_no_offline_copy_says_how_to_name_the_data():
    with pytest.raises(DatasetFormatError, match="ships no offline copy.*allenai/real-toxicity-prompts"):
        rtp.load(DataSource())
    assert not rtp.DATASET.default_data


def test_hub_loader_reads_a_dataset_directory(tmp_path, handmade):
    """The hub code path (datasets.load_dataset) on a folder shaped like
    allenai/real-toxicity-prompts (one split, "train", of JSON Lines rows)."""
    folder = tmp_path / "rtp"
    folder.mkdir()
    (folder / "train.jsonl").write_text(HANDMADE.read_text())
    loaded = rtp.load(DataSource(hub=str(folder), split="train"))
    assert loaded.source == f"hub:{folder}"
    assert loaded.examples == handmade.examples
    assert loaded.content_hash == handmade.content_hash

    write_jsonl(folder / "train.jsonl", [row(0), row(1, challenging=None)])
    with pytest.raises(DatasetFormatError, match=f"hub:{folder}: row 1: key challenging: expected true or false"):
        rtp.load(DataSource(hub=str(folder), split="train"))
