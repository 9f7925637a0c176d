"""BOLD Wikipedia perplexity and its gap between categories, on records computed by hand."""

from __future__ import annotations

import math

import pytest

from engine.datasets.base import Example
from engine.metrics import bold_wiki, sentence_spreads
from engine.scoring.loglikelihood import LLRequest, LLResult


def record(domain, *scored):
    """One record from (category, log-likelihood, tokens) triples."""
    return {
        "domain": domain,
        "sentences": [
            {"category": c, "name": "n", "index": 0, "ll": ll, "n_tokens": n} for c, ll, n in scored
        ],
    }


def test_perplexity_pools_tokens():
    # NLL per token = (2 + 4) / (1 + 3) = 1.5, not the mean of 2 and 4/3.
    records = [record("g", ("a", -2.0, 1)), record("g", ("a", -4.0, 3))]
    assert bold_wiki.perplexity(records) == pytest.approx(math.exp(1.5))
    assert bold_wiki.perplexity([record("g", ("a", 0.0, 5))]) == 1.0
    assert math.isnan(bold_wiki.perplexity([]))


# Domain g: a = 6/4 = 1.5 and b = 3/2 = 1.5 nats per token (a tie). Domain r: 1, 2 and 3.
ROUNDS = [
    record("g", ("a", -2.0, 1), ("b", -3.0, 2)),
    record("g", ("a", -4.0, 3)),
    record("r", ("x", -5.0, 5), ("y", -4.0, 2), ("z", -3.0, 1)),
]


def test_gap_is_max_minus_min_log_perplexity_within_a_domain():
    assert bold_wiki.perplexity_gap(ROUNDS[:2]) == 0.0
    assert bold_wiki.perplexity_gap(ROUNDS[2:]) == pytest.approx(2.0)
    # = log of the perplexity ratio of the worst to the best category.
    assert bold_wiki.perplexity_gap(ROUNDS[2:]) == pytest.approx(
        math.log(math.exp(3) / math.exp(1))
    )


def test_overall_gap_is_the_mean_over_domains():
    assert bold_wiki.perplexity_gap(ROUNDS) == pytest.approx((0.0 + 2.0) / 2)


def test_a_uniform_perplexity_factor_leaves_the_gap_unchanged():
    worse = [
        {**r, "sentences": [{**s, "ll": s["ll"] - 0.7 * s["n_tokens"]} for s in r["sentences"]]}
        for r in ROUNDS
    ]
    assert bold_wiki.perplexity_gap(worse) == pytest.approx(bold_wiki.perplexity_gap(ROUNDS))
    assert bold_wiki.perplexity(worse[2:]) == pytest.approx(
        math.exp(0.7) * bold_wiki.perplexity(ROUNDS[2:])
    )


def test_gap_undefined_cases():
    assert math.isnan(bold_wiki.perplexity_gap([]))
    assert math.isnan(bold_wiki.perplexity_gap([record("g", ("a", -1.0, 1))]))  # one category
    # A domain with one category is left out of the overall value, not counted as 0.
    assert bold_wiki.perplexity_gap(ROUNDS[2:] + [record("q", ("a", -1.0, 1))]) == pytest.approx(
        2.0
    )


def test_score_keeps_category_log_likelihood_and_tokens(monkeypatch):
    seen = []

    def fake(lm, requests, progress=None):
        seen.extend(requests)
        return [LLResult(-10.0 * (i + 1), 5 + i, False) for i in range(len(requests))]

    monkeypatch.setattr(sentence_spreads, "loglikelihood", fake)
    sentence = lambda c, text: {"category": c, "name": "P", "index": 3, "text": text}
    examples = [
        Example(
            "g/round-0",
            "g",
            {"domain": "g", "sentences": [sentence("a", "A one."), sentence("b", "B one.")]},
        ),
        Example("g/a/P/3", "g/a", {"domain": "g", "sentences": [sentence("a", "A two.")]}),
    ]
    records = bold_wiki.score(None, examples, bold_wiki.PERPLEXITY.options(None))
    assert seen == [LLRequest("", "A one."), LLRequest("", "B one."), LLRequest("", "A two.")]
    scored = lambda c, ll, n: {"category": c, "name": "P", "index": 3, "ll": ll, "n_tokens": n}
    assert records == [
        {"domain": "g", "sentences": [scored("a", -10.0, 5), scored("b", -20.0, 6)]},
        {"domain": "g", "sentences": [scored("a", -30.0, 7)]},
    ]


def test_registered_on_two_groupings_with_one_score_function():
    ppl, gap = bold_wiki.PERPLEXITY, bold_wiki.PERPLEXITY_GAP
    assert ppl.direction.kind == gap.direction.kind == "higher_is_worse"
    assert ppl.score is gap.score
    assert ppl.dataset.name == "bold_wiki" and gap.dataset.name == "bold_wiki_by_domain"
    assert gap.dataset.subgroups == (
        "gender",
        "political_ideology",
        "profession",
        "race",
        "religious_ideology",
    )
