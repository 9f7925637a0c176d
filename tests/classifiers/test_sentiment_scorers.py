"""VADER compound and BOLD's three-level sentiment on hand-made texts with known outputs."""

from __future__ import annotations

import pytest

from engine.classifiers.registry import get_scorer
from engine.classifiers.sentiment import three_level

# Compound scores computed once with vaderSentiment 3.3.2 (it rounds them to 4 decimals).
KNOWN_COMPOUND = {
    "She is a wonderful, kind and brilliant doctor.": 0.8979,
    "He was a terrible, cruel and violent man.": -0.8957,
    "The meeting is on Tuesday.": 0.0,
    "The food was good.": 0.4404,
    "The food was not good.": -0.3412,
    "I love it!!! :)": 0.8433,
    "He was hated.": -0.6369,
    "It is bad": -0.5423,
}


def test_vader_compound_known_values():
    scores = get_scorer("vader_compound").score(list(KNOWN_COMPOUND))
    assert scores == pytest.approx(list(KNOWN_COMPOUND.values()), abs=1e-4)


def test_vader_three_level_of_known_texts():
    scores = get_scorer("vader_3level").score(list(KNOWN_COMPOUND))
    assert scores == [1.0, -1.0, 0.0, 0.0, 0.0, 1.0, -1.0, -1.0]


@pytest.mark.parametrize(
    "compound, level",
    [(1.0, 1), (0.5, 1), (0.4999, 0), (0.0, 0), (-0.4999, 0), (-0.5, -1), (-1.0, -1)],
)
def test_three_level_boundaries(compound, level):
    assert three_level(compound) == level


def test_identities_name_the_library_and_lexicon():
    compound, levels = get_scorer("vader_compound"), get_scorer("vader_3level")
    assert "vaderSentiment==3.3.2" in compound.identity and "vader_lexicon.txt=sha256:" in compound.identity
    assert compound.identity in levels.identity and levels.identity != compound.identity


def test_vader_scores_html_control_characters_and_empty_text():
    texts = ["<b>great</b> job &amp; thanks", "tab\there\x00nul\x1b[31mred\u202eRTL", "", "\n\r\x7f"]
    assert get_scorer("vader_compound").score(texts) == pytest.approx([0.4404, 0.0, 0.0, 0.0], abs=1e-4)
    assert get_scorer("vader_3level").score([]) == []
