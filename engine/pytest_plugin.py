"""pytest shell around the engine: specs -> variants -> checks -> one item per subgroup.

`fairness_tests/test_specs.py` is a sentinel: this plugin collects it as the list of spec
files (default `specs/*.toml`, or `--specs` / FAIRGATE_SPECS). A variant's models are
evaluated in its collector's setup, so under `pytest -n 2 --dist loadscope` (with the
scheduler below) each variant runs on one worker and each model is loaded once.

The scheduler overrides xdist's private `LoadScopeScheduling._split_scope`. xdist's public
way to keep items together, the `xdist_group` mark with `--dist loadgroup`, groups nothing
under pytest 9.2: xdist 3.8 tags the grouped items by assigning `item._nodeid`, which
pytest no longer reads (pytest-xdist issue 1386). Once a release fixes it, marking each
variant collector with `xdist_group` replaces the scheduler.
"""

from __future__ import annotations

import glob
import os
import warnings
from pathlib import Path

import pytest

from engine.run_errors import RunError
from engine.run import GateRun, VariantOutcome
from engine.run_context import RunContext, UnreadableSpec
from engine.spec.loader import SpecError

SENTINEL = "test_specs.py"
SPECS_ENV = "FAIRGATE_SPECS"
CONTEXT_KEY = pytest.StashKey[RunContext]()
RESULTS_KEY = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fairgate")
    group.addoption(
        "--specs",
        action="append",
        default=None,
        help=f"spec files or globs to gate (default: specs/*.toml; env {SPECS_ENV})",
    )
    group.addoption(
        "--fairgate-reports", default=None, help="where runs write reports (default: reports/)"
    )
    group.addoption(
        "--fairgate-cache", default=None, help="results cache (default: ~/.cache/fairgate)"
    )


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    if _is_worker(config):
        run = Path(config.workerinput["fairgate_run"])
        reports, run_id = run.parent, run.name
        _share_cores(int(config.workerinput["workercount"]))
    else:
        reports = Path(config.getoption("fairgate_reports") or config.rootpath / "reports")
        run_id = None
    cache = config.getoption("fairgate_cache")
    config.stash[CONTEXT_KEY] = RunContext(_spec_paths(config), reports, cache, run_id)
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(), "fairgate-xdist")


def _share_cores(workers: int) -> None:
    """Each worker's torch would otherwise start a thread per core, and the workers would
    fight over the cores."""
    import torch

    torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


class _XdistHooks:
    def pytest_configure_node(self, node) -> None:
        node.workerinput["fairgate_run"] = str(node.config.stash[CONTEXT_KEY].directory)

    def pytest_xdist_make_scheduler(self, config, log):
        if config.getoption("dist") != "loadscope":
            return None
        from xdist.scheduler import LoadScopeScheduling

        class VariantScopeScheduling(LoadScopeScheduling):
            """Group by (spec, variant), not by the item's parent, so a model loads once."""

            def _split_scope(self, nodeid: str) -> str:
                parts = nodeid.split("::")
                if parts[0].endswith(SENTINEL) and len(parts) > 3:
                    return "::".join(parts[:3])
                return super()._split_scope(nodeid)

        return VariantScopeScheduling(config, log)


def pytest_pycollect_makemodule(module_path: Path, parent):
    if module_path.name == SENTINEL and module_path.parent.name == "fairness_tests":
        return SpecFiles.from_parent(parent, path=module_path)
    return None


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _is_worker(session.config):
        return
    results = session.config.stash[CONTEXT_KEY].finish()
    if results is not None:  # None: nothing was gated (e.g. only the engine's own tests ran)
        session.config.stash[RESULTS_KEY] = results


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    results = config.stash.get(RESULTS_KEY, None)
    if results:
        run = config.stash[CONTEXT_KEY].directory
        terminalreporter.write_line(
            f"fairgate: {results['totals']['failed']} failed, {results['totals']['passed']} "
            f"passed; report in {run}/ (summary.md, results.json)"
        )


def _spec_paths(config: pytest.Config) -> list[Path]:
    patterns = config.getoption("specs")
    if not patterns and os.environ.get(SPECS_ENV):
        patterns = os.environ[SPECS_ENV].split(os.pathsep)
    if not patterns:
        patterns = [str(config.rootpath / "specs" / "*.toml")]
    paths: list[Path] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        paths += [Path(m) for m in matches if Path(m) not in paths]
    return paths


class SpecFiles(pytest.File):
    def collect(self):
        for gate in self.config.stash[CONTEXT_KEY].gates():
            if isinstance(gate, UnreadableSpec):
                yield InvalidSpec.from_parent(self, name=gate.path.name, error=gate.error)
            else:
                yield SpecCollector.from_parent(self, name=gate.spec.name, gate=gate)


class InvalidSpec(pytest.Collector):
    """Reports a spec that cannot be read as a collection error with its located message."""

    def __init__(self, *, error: Exception, **kwargs) -> None:
        super().__init__(**kwargs)
        self.error = error

    def collect(self):
        raise self.error

    def repr_failure(self, excinfo):
        return str(excinfo.value)


class SpecCollector(pytest.Collector):
    def __init__(self, *, gate: GateRun, **kwargs) -> None:
        super().__init__(**kwargs)
        self.gate = gate

    def collect(self):
        checks = self.gate.checks  # loads the data sets: unknown subgroups fail collection here
        for variant in self.gate.spec.variants:
            yield VariantCollector.from_parent(self, name=variant.name, gate=self.gate, checks=checks)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, (SpecError, RunError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class VariantCollector(pytest.Collector):
    def __init__(self, *, gate: GateRun, checks, **kwargs) -> None:
        super().__init__(**kwargs)
        self.gate = gate
        self.checks = checks
        self.outcome: VariantOutcome | None = None
        self.error: RunError | None = None

    def collect(self):
        for check in self.checks:
            yield CheckCollector.from_parent(self, name=check.metric.name, check=check)

    def setup(self) -> None:
        # The report speaks of what was gated: with -k, only the selected subgroups.
        selected = {
            (item.parent.name, item.name)
            for item in self.session.items
            if isinstance(item, SubgroupItem) and item.parent.parent is self
        }
        try:
            self.outcome = self.config.stash[CONTEXT_KEY].judge(self.gate, self.name, selected)
        except RunError as error:
            # Raised again by each item, so they fail with the message alone (a setup error
            # would print the engine's traceback) while the other variants still run.
            self.error = error

    def teardown(self) -> None:
        self.outcome = None
        self.error = None


class CheckCollector(pytest.Collector):
    def __init__(self, *, check, **kwargs) -> None:
        super().__init__(**kwargs)
        self.check = check

    def collect(self):
        for subgroup in self.check.subgroups:
            yield SubgroupItem.from_parent(self, name=subgroup)


class GateFailure(AssertionError):
    pass


class SmallSubgroupWarning(UserWarning):
    """A subgroup has fewer examples than the check asked for."""


class LowPowerWarning(UserWarning):
    """A subgroup's sampling spread is wider than its tolerance: the verdict cannot resolve it."""


class SubgroupItem(pytest.Item):
    def runtest(self) -> None:
        variant: VariantCollector = self.parent.parent
        if variant.error is not None:
            raise variant.error
        metric = self.parent.name
        verdict = next(
            v for v in variant.outcome.verdicts if v.metric == metric and v.subgroup == self.name
        )
        for key in (
            "baseline", "value", "change", "worsening", "worsening_interval", "tolerance",
            "rule", "detectable", "n",
        ):
            self.user_properties.append((key, getattr(verdict, key)))
        if self.name in self.parent.check.short_subgroups:
            warnings.warn(SmallSubgroupWarning(self.parent.check.warning(self.name)))
        for warning in verdict.warnings:
            warnings.warn(LowPowerWarning(f"{verdict.label}: {warning}"))
        if not verdict.passed:
            raise GateFailure(verdict.message())

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, (GateFailure, RunError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        # Not the node id's tail: pytest would print its dots as "::" in verbose output.
        spec, variant, check = self.parent.parent.parent, self.parent.parent, self.parent
        return self.path, None, f"{spec.name} / {variant.name} / {check.name} / {self.name}"
