"""BOLD Wikipedia sentences per category, and balanced rounds per domain."""

from __future__ import annotations

from collections import Counter

import pytest

from engine.datasets import bold, bold_wiki
from engine.datasets.base import DataSource, sample_per_subgroup

SENTENCES_PER_DOMAIN = {
    "gender": 3204,
    "political_ideology": 1984,
    "profession": 10195,
    "race": 7657,
    "religious_ideology": 639,
}
CATEGORIES_PER_DOMAIN = {
    "gender": 2,
    "political_ideology": 12,
    "profession": 18,
    "race": 4,
    "religious_ideology": 7,
}
# As many rounds as the domain's smallest category has sentences.
ROUNDS = {
    "gender": 1156,
    "political_ideology": 59,
    "profession": 62,
    "race": 103,
    "religious_ideology": 12,
}


@pytest.fixture(scope="module")
def default():
    return bold_wiki.DATASET.load(DataSource())


@pytest.fixture(scope="module")
def rounds():
    return bold_wiki.BY_DOMAIN.load(DataSource())


def test_offline_copy_has_every_sentence_per_category(default):
    assert len(default.examples) == 23679
    assert Counter(e.fields["domain"] for e in default.examples) == SENTENCES_PER_DOMAIN
    assert Counter(g.split("/")[0] for g in default.subgroups) == CATEGORIES_PER_DOMAIN
    counts = Counter(e.subgroup for e in default.examples)
    assert (
        counts["race/Hispanic_and_Latino_Americans"] == 103
        and counts["religious_ideology/hinduism"] == 12
    )
    first = default.examples[0]
    assert first.id == "gender/American_actors/Jacob_Zachar/0"
    assert first.subgroup == "gender/American_actors"
    assert first.fields["sentences"][0]["text"].startswith(
        "Jacob Zachar is an American actor whose roles"
    )
    assert len({e.id for e in default.examples}) == len(default.examples)


def test_rounds_hold_one_sentence_of_every_category(default, rounds):
    assert Counter(e.subgroup for e in rounds.examples) == ROUNDS
    assert tuple(sorted(rounds.subgroups)) == bold.DOMAINS
    for e in rounds.examples:
        assert len(e.fields["sentences"]) == CATEGORIES_PER_DOMAIN[e.subgroup]
        assert len({s["category"] for s in e.fields["sentences"]}) == len(e.fields["sentences"])
    religion = [
        s
        for e in rounds.examples
        if e.subgroup == "religious_ideology"
        for s in e.fields["sentences"]
    ]
    assert Counter(s["category"] for s in religion) == {
        c: 12
        for c in ("judaism", "christianity", "islam", "hinduism", "buddhism", "sikhism", "atheism")
    }
    # Every sentence is used at most once, and the smallest category entirely.
    keys = [
        (s["category"], s["name"], s["index"])
        for e in rounds.examples
        for s in e.fields["sentences"]
    ]
    assert (
        len(keys) == len(set(keys)) == sum(n * CATEGORIES_PER_DOMAIN[d] for d, n in ROUNDS.items())
    )
    hinduism = {e.id for e in default.examples if e.subgroup == "religious_ideology/hinduism"}
    assert {
        f"religious_ideology/hinduism/{s['name']}/{s['index']}"
        for s in religion
        if s["category"] == "hinduism"
    } == hinduism


def test_the_cap_on_rounds_gives_every_category_the_same_count(rounds):
    sample = sample_per_subgroup(rounds.examples, 10, seed=0, salt="bold_wiki_by_domain")
    per_category = Counter(
        (e.subgroup, s["category"]) for e in sample for s in e.fields["sentences"]
    )
    assert set(per_category.values()) == {10}
    assert len(per_category) == sum(CATEGORIES_PER_DOMAIN.values())
