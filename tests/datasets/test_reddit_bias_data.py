"""RedditBias: the authors' test pairs per bias dimension, and what a malformed folder gets."""

from __future__ import annotations

import pytest

from engine.datasets import reddit_bias
from engine.datasets.base import DatasetFormatError, DataSource

TARGET_HEADER = "id,attribute_in_window,comment,comments_processed,bias_sent,bias_phrase,perplexity\n"
COUNTER_HEADER = "initial_demo,replaced_demo,comments,comments_processed,perplexity\n"


def write_dimension(root, dimension="race", target=None, counter=None, split="test"):
    folder = root / dimension
    folder.mkdir(parents=True, exist_ok=True)
    target = target or [
        "a1,True,all black guys are x.,black guys are x.,1,1,10.0",
        'a2,True,"black people are\ny, really",black people are y,1,1,12.0',
    ]
    counter = counter or [
        "['black'],['white'],black guys are x.,white guys are x.,11.0",
        "['black'],['white'],black people are y,white people are y,13.0",
    ]
    (folder / f"reddit_comments_{dimension}_black_biased_{split}_reduced.csv").write_text(
        TARGET_HEADER + "\n".join(target) + "\n"
    )
    (folder / f"reddit_comments_{dimension}_white_biased_{split}_reduced.csv").write_text(
        COUNTER_HEADER + "\n".join(counter) + "\n"
    )
    return folder


def test_default_data_is_the_authors_test_pairs_of_five_dimensions():
    loaded = reddit_bias.load(DataSource())
    assert loaded.subgroups == ["gender", "orientation", "race", "religion1", "religion2"]
    counts = {g: sum(e.subgroup == g for e in loaded.examples) for g in loaded.subgroups}
    assert counts == {"gender": 253, "orientation": 235, "race": 254, "religion1": 238, "religion2": 236}
    first = {g: next(e for e in loaded.examples if e.subgroup == g) for g in loaded.subgroups}
    assert first["gender"].fields == {
        "biased": "my girlfriend is a great cook so i try",
        "counterfactual": "my boyfriend is a great cook so i try",
        "target": "female",
        "counter_target": "male",
    }
    pairs = {g: (e.fields["target"], e.fields["counter_target"]) for g, e in first.items()}
    assert pairs == {
        "gender": ("female", "male"),
        "orientation": ("lgbtq", "straight"),
        "race": ("black", "white"),
        "religion1": ("jews", "christians"),
        "religion2": ("muslims", "christians"),
    }
    assert len({e.id for e in loaded.examples}) == len(loaded.examples)
    assert reddit_bias.DATASET.subgroups == tuple(loaded.subgroups)


def test_valid_split_is_the_other_file_pair():
    valid = reddit_bias.load(DataSource(split="valid"))
    assert valid.subgroups == ["gender", "orientation", "race", "religion1", "religion2"]
    assert valid.content_hash != reddit_bias.load(DataSource()).content_hash


def test_local_folder_pairs_rows_in_order(tmp_path):
    write_dimension(tmp_path)
    (tmp_path / "notes").mkdir()  # a folder without RedditBias files is not a dimension
    loaded = reddit_bias.load(DataSource(path=tmp_path))
    assert [(e.id, e.fields["biased"], e.fields["counterfactual"]) for e in loaded.examples] == [
        ("race/0", "black guys are x.", "white guys are x."),
        ("race/1", "black people are y", "white people are y"),
    ]


@pytest.mark.parametrize(
    "target, counter, message",
    [
        (None, ["['black'],['white'],black guys are x.,white guys are x.,11.0"], "1 rows, but"),
        (
            None,
            [
                "['black'],['white'],black guys are x.,white guys are x.,11.0",
                "['black'],['white'],something else,white people are y,13.0",
            ],
            "white_biased_test_reduced.csv: line 3: its `comments` 'something else' is not the biased",
        ),
        (
            None,
            [
                "['black'],['white'],black guys are x.,white guys are x.,11.0",
                "['black'],['white'],black people are y, ,13.0",
            ],
            "white_biased_test_reduced.csv: line 3: empty comments_processed",
        ),
    ],
)
def test_malformed_pairs_name_file_and_line(tmp_path, target, counter, message):
    write_dimension(tmp_path, target=target, counter=counter)
    with pytest.raises(DatasetFormatError) as e:
        reddit_bias.load(DataSource(path=tmp_path))
    assert message in str(e.value)


def test_folder_problems(tmp_path):
    folder = write_dimension(tmp_path)
    with pytest.raises(DatasetFormatError, match="not a folder"):
        reddit_bias.load(DataSource(path=folder / "reddit_comments_race_black_biased_test_reduced.csv"))
    with pytest.raises(DatasetFormatError, match="splits test and valid, not 'dev'"):
        reddit_bias.load(DataSource(path=tmp_path, split="dev"))
    with pytest.raises(DatasetFormatError, match="no dimension folder holds"):
        reddit_bias.load(DataSource(path=tmp_path, split="valid"))
    with pytest.raises(DatasetFormatError, match="per-dimension CSV folders"):
        reddit_bias.load(DataSource(hub="someone/reddit_bias"))
    (folder / "reddit_comments_race_asian_biased_test_reduced.csv").write_text(TARGET_HEADER)
    with pytest.raises(DatasetFormatError, match="3 biased_test_reduced files"):
        reddit_bias.load(DataSource(path=tmp_path))


def test_which_file_is_the_counterfactual_comes_from_its_columns(tmp_path):
    folder = write_dimension(tmp_path)
    swapped = folder / "reddit_comments_race_white_biased_test_reduced.csv"
    swapped.write_text(swapped.read_text().replace("replaced_demo", "other"))
    with pytest.raises(DatasetFormatError, match="must be the counterfactual .* found 0"):
        reddit_bias.load(DataSource(path=tmp_path))
    biased = folder / "reddit_comments_race_black_biased_test_reduced.csv"
    biased.write_text(biased.read_text().replace("comments_processed", "text"))
    swapped.write_text(swapped.read_text().replace("other", "replaced_demo"))
    with pytest.raises(DatasetFormatError, match="black_biased_test_reduced.csv has no column"):
        reddit_bias.load(DataSource(path=tmp_path))
