"""Scorers by the name a spec gives them, built with the options the spec states.

Each scorer's options are the keyword parameters of its class, so an unknown option is an
error that lists the accepted ones. The scorer modules register their classes on import and
import their libraries only when a scorer is built: detoxify pulls in torch and
transformers, profanity-check loads its model on import.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.classifiers.base import ClassifierError, Scorer
from engine.registry import Registry

SCORERS: Registry[type] = Registry(
    "scorer",
    (
        "engine.classifiers.sentiment",
        "engine.classifiers.profanity",
        "engine.classifiers.detoxify_scorer",
        "engine.classifiers.hurtlex",
    ),
)


def scorer_names() -> list[str]:
    return SCORERS.names()


def scorer_options(name: str) -> list[str]:
    return list(inspect.signature(_scorer_class(name)).parameters)


def required_options(name: str) -> list[str]:
    """The options a spec must give (parameters without a default)."""
    parameters = inspect.signature(_scorer_class(name)).parameters.values()
    return [p.name for p in parameters if p.default is inspect.Parameter.empty]


def path_options(name: str) -> list[str]:
    """The options that name a file or directory (annotated with Path), so that a spec can
    resolve them against its own directory."""
    hints = typing.get_type_hints(_scorer_class(name).__init__)
    return [
        option
        for option in scorer_options(name)
        if Path in typing.get_args(hints.get(option)) or hints.get(option) is Path
    ]


def file_problem(name: str, options: Mapping[str, Any]) -> str | None:
    """What is wrong with the files a scorer's options name, for scorers that can tell without
    loading a model (those defining `check_files`, e.g. a lexicon); None if nothing is."""
    check = getattr(_scorer_class(name), "check_files", None)
    if check is None:
        return None
    try:
        check(**options)
    except ClassifierError as e:
        return str(e)
    return None


def get_scorer(name: str, options: Mapping[str, Any] | None = None) -> Scorer:
    options = dict(options or {})
    accepted = scorer_options(name)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ClassifierError(
            f"scorer {name!r} has no option(s) {', '.join(unknown)}; "
            + (f"it accepts {', '.join(accepted)}" if accepted else "it takes no options")
        )
    return _scorer_class(name)(**options)


def _scorer_class(name: str) -> type:
    if name not in SCORERS:
        raise ClassifierError(f"unknown scorer {name!r}; known scorers: {', '.join(scorer_names())}")
    return SCORERS.get(name)
