"""The core (spec, catalog, statistics, gate, report, diff, validate, schema, list) reads
specs and results without torch or transformers: importing them costs seconds, and a CI step
that only validates specs or renders a report must not pay it."""

from __future__ import annotations

import json

from tests.helpers import fresh_process_output

ENGINE_ONLY = ("torch", "transformers")
CORE = (
    "engine.cli",
    "engine.catalog",
    "engine.compression",
    "engine.gate",
    "engine.stats",
    "engine.store",
    "engine.spec.loader",
    "engine.spec.checks",
    "engine.spec.cost",
    "engine.spec.docs",
    "engine.spec.schema",
    "engine.spec.starter",
    "engine.report.commands",
    "engine.report.diff",
    "engine.report.writer",
)


def _modules_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint([m for m in {ENGINE_ONLY!r} if m in sys.modules])\n"
    return json.loads(fresh_process_output(probe).splitlines()[-1].replace("'", '"'))


def test_importing_the_core_imports_neither_torch_nor_transformers():
    imports = "\n".join(f"import {module}" for module in CORE)
    # Registries import their modules on first lookup: every metric, scorer and method.
    lookups = (
        "from engine.metrics.registry import metric_names\n"
        "from engine.classifiers.registry import scorer_names\n"
        "from engine import compression\n"
        "metric_names(); scorer_names(); compression.step_classes()\n"
    )
    assert _modules_after(imports + "\n" + lookups) == []


def test_validate_list_and_schema_run_without_torch(tmp_path):
    code = (
        "import contextlib, io\n"
        "from engine import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert cli.main(['validate', 'specs/smollm2-135m.toml']) == 0\n"
        "    for kind in ('metrics', 'datasets', 'quantization', 'scorers'):\n"
        "        assert cli.main(['list', kind]) == 0\n"
        "    assert cli.main(['schema']) == 0\n"
    )
    assert _modules_after(code) == []
