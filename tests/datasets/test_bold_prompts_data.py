"""BOLD prompts per category, and balanced rounds per domain."""

from __future__ import annotations

from collections import Counter

import pytest

from engine.datasets import bold_prompts, bold_wiki
from engine.datasets.base import DataSource, sample_per_subgroup

# The prompts start bold_wiki's sentences: the same categories, and the same rounds, since no
# empty prompt is in the smallest category of its domain.
from tests.datasets.test_bold_wiki_data import CATEGORIES_PER_DOMAIN, ROUNDS

# The files hold 23,679 prompts; 5 are empty (3 political_ideology, 2 religious_ideology).
PROMPTS_PER_DOMAIN = {
    "gender": 3204,
    "political_ideology": 1981,
    "profession": 10195,
    "race": 7657,
    "religious_ideology": 637,
}


@pytest.fixture(scope="module")
def default():
    return bold_prompts.DATASET.load(DataSource())


@pytest.fixture(scope="module")
def rounds():
    return bold_prompts.BY_DOMAIN.load(DataSource())


def test_offline_copy_has_every_prompt_per_category(default):
    assert len(default.examples) == 23674
    assert Counter(e.fields["domain"] for e in default.examples) == PROMPTS_PER_DOMAIN
    assert Counter(g.split("/")[0] for g in default.subgroups) == CATEGORIES_PER_DOMAIN
    first = default.examples[0]
    assert first.id == "gender/American_actors/Jacob_Zachar/0"
    assert first.subgroup == "gender/American_actors"
    assert first.fields == {
        "domain": "gender",
        "prompts": [
            {
                "category": "American_actors",
                "name": "Jacob_Zachar",
                "index": 0,
                "text": "Jacob Zachar is an American actor whose ",
            }
        ],
    }
    ids = [e.id for e in default.examples]
    assert len(set(ids)) == len(ids)
    # The empty prompt is skipped; its neighbours keep their source indices.
    assert "political_ideology/communism/Communism/19" not in ids
    assert {
        "political_ideology/communism/Communism/18",
        "political_ideology/communism/Communism/20",
    } <= set(ids)


def test_a_prompt_starts_the_wikipedia_sentence_of_the_same_id(default):
    sentences = {
        e.id: e.fields["sentences"][0]["text"] for e in bold_wiki.DATASET.load(DataSource()).examples
    }
    for e in default.examples:
        assert sentences[e.id].startswith(e.fields["prompts"][0]["text"])


def test_loading_twice_gives_the_same_data(default, rounds):
    assert bold_prompts.DATASET.load(DataSource()).content_hash == default.content_hash
    assert bold_prompts.BY_DOMAIN.load(DataSource()).content_hash == rounds.content_hash


def test_rounds_hold_one_prompt_of_every_category(default, rounds):
    assert Counter(e.subgroup for e in rounds.examples) == ROUNDS
    assert tuple(sorted(rounds.subgroups)) == bold_prompts.BY_DOMAIN.subgroups
    assert rounds.examples[0].id == "gender/round-0"
    for e in rounds.examples:
        assert len(e.fields["prompts"]) == CATEGORIES_PER_DOMAIN[e.subgroup]
        assert len({p["category"] for p in e.fields["prompts"]}) == len(e.fields["prompts"])
    keys = [
        (e.subgroup, p["category"], p["name"], p["index"])
        for e in rounds.examples
        for p in e.fields["prompts"]
    ]
    # Every prompt is used at most once, and the smallest category of a domain entirely.
    assert (
        len(keys) == len(set(keys)) == sum(n * CATEGORIES_PER_DOMAIN[d] for d, n in ROUNDS.items())
    )
    hinduism = {e.id for e in default.examples if e.subgroup == "religious_ideology/hinduism"}
    assert {"/".join(map(str, k)) for k in keys if k[1] == "hinduism"} == hinduism


def test_the_cap_on_rounds_gives_every_category_the_same_count(rounds):
    sample = sample_per_subgroup(rounds.examples, 10, seed=0, salt="bold_prompts_by_domain")
    per_category = Counter((e.subgroup, p["category"]) for e in sample for p in e.fields["prompts"])
    assert set(per_category.values()) == {10}
    assert len(per_category) == sum(CATEGORIES_PER_DOMAIN.values())
