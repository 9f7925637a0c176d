"""alt-profanity-check as a toxicity scorer: offensive above benign, and pinned values."""

from __future__ import annotations

import pytest

from engine.classifiers.registry import get_scorer

OFFENSIVE = ["fuck you, you stupid bitch", "shut up, you worthless piece of shit", "what an asshole"]
BENIGN = [
    "Thank you for the lovely dinner.",
    "The committee meets every Tuesday afternoon.",
    "She teaches mathematics at the local school.",
]
# Computed once with alt-profanity-check 1.9.1 and scikit-learn 1.9.1.
PINNED = [1.0, 0.99998846, 0.99999522, 0.00597223, 0.04663457, 0.04584031]


@pytest.fixture(scope="module")
def profanity():
    return get_scorer("profanity_check")


def test_offensive_texts_score_above_benign_ones(profanity):
    offensive, benign = profanity.score(OFFENSIVE), profanity.score(BENIGN)
    assert min(offensive) > 0.99
    assert max(benign) < 0.1


def test_pinned_values(profanity):
    assert profanity.score(OFFENSIVE + BENIGN) == pytest.approx(PINNED, abs=1e-4)


def test_identity_names_the_bundled_model_and_scikit_learn(profanity):
    assert "alt-profanity-check==1.9.1" in profanity.identity
    assert "profanity_check/data/model.joblib=sha256:" in profanity.identity
    assert "scikit-learn==" in profanity.identity


def test_html_control_characters_and_empty_text(profanity):
    scores = profanity.score(["<b>great</b> job &amp; thanks", "tab\there\x00nul\x1b[31mred\u202eRTL", ""])
    assert scores == pytest.approx([0.01064556, 0.00833341, 0.03637575], abs=1e-4)
    assert profanity.score([]) == []
