"""Scorers by name: unknown names and options are errors that list what is known."""

from __future__ import annotations

import pytest

from engine.classifiers.base import ClassifierError
from engine.classifiers.registry import get_scorer, scorer_names, scorer_options
from tests.helpers import fresh_process_output


def test_known_scorers():
    assert scorer_names() == ["detoxify", "hurtlex", "profanity_check", "vader_3level", "vader_compound"]
    assert scorer_options("detoxify") == ["model_type", "checkpoint", "huggingface_config_path", "device", "batch_size"]


def test_unknown_scorer_lists_the_known_ones():
    with pytest.raises(
        ClassifierError, match=r"unknown scorer 'perspective'; known scorers: detoxify, hurtlex, profanity_check"
    ):
        get_scorer("perspective")


def test_unknown_option_lists_the_accepted_ones():
    with pytest.raises(
        ClassifierError, match=r"'detoxify' has no option\(s\) threshold; it accepts model_type, checkpoint"
    ):
        get_scorer("detoxify", {"threshold": 0.5})
    with pytest.raises(ClassifierError, match=r"'vader_compound' has no option\(s\) lexicon; it takes no options"):
        get_scorer("vader_compound", {"lexicon": "x"})


def test_scorers_follow_the_common_interface():
    scorer = get_scorer("vader_compound", {})
    assert scorer.name == "vader_compound"
    assert isinstance(scorer.identity, str)
    assert scorer.score(("good", "bad")) == pytest.approx([0.4404, -0.5423], abs=1e-4)


def test_listing_scorers_and_their_options_imports_no_model_library():
    code = (
        "import sys\n"
        "from engine.classifiers.registry import path_options, scorer_names, scorer_options\n"
        "for name in scorer_names():\n"
        "    scorer_options(name), path_options(name)\n"
        "print(sorted(m for m in ('torch', 'transformers', 'detoxify', 'profanity_check') if m in sys.modules))\n"
    )
    assert fresh_process_output(code) == "[]"
