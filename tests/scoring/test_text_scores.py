"""Classifier scores through the store: once per distinct text, keyed by the scorer's identity."""

from __future__ import annotations

import pytest

from engine.scoring import text_scores
from engine.scoring.text_scores import ScorerChoice, TextScorers
from engine.store import ResultStore


class CountingScorer:
    """Scores a text by its length, and remembers every list it was asked to score."""

    name = "counting"

    def __init__(self, identity: str) -> None:
        self.identity = identity
        self.calls: list[list[str]] = []

    def score(self, texts):
        self.calls.append(list(texts))
        return [float(len(t)) for t in texts]


@pytest.fixture
def counting(monkeypatch):
    """A scorer named `counting`; every build of it returns this one instance."""
    scorer = CountingScorer("counting v1")
    choice = ScorerChoice("counting")
    builds = []

    def get_scorer(name, options):
        assert name == "counting"
        builds.append(options)
        return scorer

    monkeypatch.setattr(text_scores, "get_scorer", get_scorer)
    scorer.builds = builds
    return choice, scorer


def test_a_run_builds_each_scorer_once_and_keeps_nothing_per_process(tmp_path, counting):
    choice, scorer = counting
    run = TextScorers(ResultStore(tmp_path))
    run.scores(choice, ["a"])
    run.scores(choice, ["b"])
    assert len(scorer.builds) == 1
    TextScorers(ResultStore(tmp_path)).scores(choice, ["a"])  # another run builds its own
    assert len(scorer.builds) == 2


def test_scores_in_input_order_each_distinct_text_once(tmp_path, counting):
    choice, scorer = counting
    texts = ["ccc", "a", "ccc", "", "bb"]
    assert TextScorers(ResultStore(tmp_path)).scores(choice, texts) == [3.0, 1.0, 3.0, 0.0, 2.0]
    assert scorer.calls == [["", "a", "bb", "ccc"]]


def test_cached_scores_are_read_back_and_a_new_identity_rescores(tmp_path, counting, monkeypatch):
    choice, scorer = counting
    scorers = TextScorers(ResultStore(tmp_path))
    first = scorers.scores(choice, ["x", "yy"])
    assert scorers.scores(choice, ["yy", "x"]) == first[::-1]
    assert len(scorer.calls) == 1
    monkeypatch.setattr(scorer, "identity", "counting v2")
    scorers.scores(choice, ["x", "yy"])
    assert len(scorer.calls) == 2


def test_texts_are_scored_in_fixed_chunks(tmp_path, counting, monkeypatch):
    choice, scorer = counting
    monkeypatch.setattr(text_scores, "CHUNK", 2)
    seen = []
    TextScorers(ResultStore(tmp_path)).scores(choice, ["e", "d", "c", "b", "a"], lambda d, t: seen.append((d, t)))
    assert scorer.calls == [["a", "b"], ["c", "d"], ["e"]]
    assert seen == [(2, 5), (4, 5), (5, 5)]


def test_real_vader_through_the_store(tmp_path):
    scores = TextScorers(ResultStore(tmp_path)).scores(ScorerChoice("vader_compound"), ["The food was good."])
    assert scores == pytest.approx([0.4404], abs=1e-4)
