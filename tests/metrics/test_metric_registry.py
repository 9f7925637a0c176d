"""Metrics by name: the registry lists every module that registers metrics."""

from __future__ import annotations

import pytest

from engine.metrics.registry import METRICS
from engine.registry import UnknownName
from tests.helpers import fresh_process_output


def test_every_module_that_registers_metrics_is_listed():
    # In a fresh process: here another test may already have imported every module.
    code = (
        "import importlib, pkgutil\n"
        "import engine.metrics\n"
        "from engine.metrics.registry import metric_names\n"
        "listed = metric_names()\n"
        "for module in pkgutil.iter_modules(engine.metrics.__path__):\n"
        "    importlib.import_module(f'engine.metrics.{module.name}')\n"
        "print(sorted(set(metric_names()) - set(listed)))\n"
    )
    assert fresh_process_output(code) == "[]"


def test_an_unknown_metric_names_the_closest():
    with pytest.raises(UnknownName, match=r"unknown metric 'crows_pair.stereotype_score' \(did you mean"):
        METRICS.get("crows_pair.stereotype_score")
