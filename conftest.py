"""Registers fairgate's pytest plugin for `pytest fairness_tests/` (and the engine's own tests)."""

pytest_plugins = ["engine.pytest_plugin"]
