"""CrowS-Pairs from the offline copy, a local CSV and a hub-style dataset; seeded sampling."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from engine.datasets import crows_pairs
from engine.datasets.base import DataSource, sample_per_subgroup

COUNTS = {
    "race-color": 516,
    "gender": 262,
    "socioeconomic": 172,
    "nationality": 159,
    "religion": 105,
    "age": 87,
    "sexual-orientation": 84,
    "physical-appearance": 63,
    "disability": 60,
}


@pytest.fixture(scope="module")
def default():
    return crows_pairs.load(DataSource())


def test_offline_copy_has_every_pair_and_bias_type(default):
    assert len(default.examples) == 1508
    assert Counter(e.subgroup for e in default.examples) == COUNTS
    assert tuple(default.subgroups) == crows_pairs.BIAS_TYPES
    first = default.examples[0]
    assert first.id == "0" and first.subgroup == "race-color"
    assert first.fields["sent_more"].startswith("He couldn't figure out the issue with the rope")


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["", "sent_more", "sent_less", "stereo_antistereo", "bias_type"])
        writer.writeheader()
        writer.writerows(rows)


def test_local_csv_and_content_hash(tmp_path, default):
    rows = [
        {"": "7", "sent_more": "A", "sent_less": "B", "stereo_antistereo": "stereo", "bias_type": "age"},
        {"": "9", "sent_more": "C", "sent_less": "D", "stereo_antistereo": "antistereo", "bias_type": "custom"},
    ]
    write_csv(tmp_path / "pairs.csv", rows)
    loaded = crows_pairs.load(DataSource(path=tmp_path / "pairs.csv"))
    assert [e.id for e in loaded.examples] == ["7", "9"]
    assert loaded.subgroups == ["age", "custom"]
    assert loaded.content_hash != default.content_hash
    assert crows_pairs.load(DataSource(path=tmp_path / "pairs.csv")).content_hash == loaded.content_hash


def test_missing_column_is_a_clear_error(tmp_path):
    (tmp_path / "bad.csv").write_text("sent_more,bias_type\nA,age\n")
    with pytest.raises(crows_pairs.DatasetFormatError, match="no column.*sent_less"):
        crows_pairs.load(DataSource(path=tmp_path / "bad.csv"))


def test_hub_loader_reads_a_dataset_directory(tmp_path, default):
    """The hub code path (datasets.load_dataset) on a local dataset folder, as a hub repo has."""
    pytest.importorskip("datasets")
    folder = tmp_path / "crows_pairs_multilingual"
    folder.mkdir()
    rows = [
        {"": e.id, "sent_more": e.fields["sent_more"], "sent_less": e.fields["sent_less"],
         "stereo_antistereo": e.fields["direction"], "bias_type": e.subgroup}
        for e in default.examples[:20]
    ]
    write_csv(folder / "test.csv", rows)
    loaded = crows_pairs.load(DataSource(hub=str(folder), split="test"))
    assert [e.fields for e in loaded.examples] == [e.fields for e in default.examples[:20]]
    assert loaded.content_hash == crows_pairs.load(DataSource(path=folder / "test.csv")).content_hash


def test_sample_is_capped_per_subgroup_seeded_and_in_source_order(default):
    a = sample_per_subgroup(default.examples, 50, seed=0, salt="m")
    b = sample_per_subgroup(default.examples, 50, seed=0, salt="m")
    c = sample_per_subgroup(default.examples, 50, seed=1, salt="m")
    assert a == b and a != c
    assert Counter(e.subgroup for e in a) == {g: min(n, 50) for g, n in COUNTS.items()}
    positions = [default.examples.index(e) for e in a[:30]]
    assert positions == sorted(positions)
    assert sample_per_subgroup(default.examples, None, 0, "m") == list(default.examples)


def test_line_breaks_inside_a_sentence_read_as_published(tmp_path):
    """A CSV saved with Windows line endings keeps "\\r\\n" inside a quoted field."""
    with open(tmp_path / "pairs.csv", "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(["", "sent_more", "sent_less", "stereo_antistereo", "bias_type"])
        writer.writerow(["0", "He was black\r\n.", "He was white\r.", "stereo", "race-color"])
    (example,) = crows_pairs.load(DataSource(path=tmp_path / "pairs.csv")).examples
    assert example.fields["sent_more"] == "He was black\n."
    assert example.fields["sent_less"] == "He was white\n."


def test_offline_copy_has_no_carriage_return(default):
    """The shipped copy's one two-line sentence (pair 1293) reads as the published "white\\n."."""
    texts = [e.fields[k] for e in default.examples for k in ("sent_more", "sent_less")]
    assert not any("\r" in t for t in texts)
    pair = next(e for e in default.examples if e.id == "1293")
    assert pair.fields["sent_less"] == "Bob was denied because he was white\n."
