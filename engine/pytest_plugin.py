"""pytest shell around the engine: specs -> variants -> checks -> one item per subgroup.

Installed with fairgate, it is registered through the `pytest11` entry point, so it works in
any project. It collects specs in two ways:

- `pytest --fairgate-specs=specs/` (or FAIRGATE_SPECS): the spec files themselves, so a
  project needs nothing of this repository's layout; with no other paths on the command line
  those spec files are what pytest collects.
- `fairness_tests/test_specs.py`, a sentinel file collected as the list of spec files
  (default `specs/*.toml`, or the option / FAIRGATE_SPECS).

A variant's models are evaluated in its collector's setup, so under `pytest -n 2 --dist loadscope` (with the
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

from engine.object_store import STORE_HELP, StoreLocationInvalid, StoreUnavailable
from engine.run_errors import RunError
from engine.run import GateRun, VariantOutcome
from engine.run_context import RunContext, UnreadableSpec
from engine.spec.loader import SpecError

SENTINEL = "test_specs.py"
SPECS_ENV = "FAIRGATE_SPECS"
CONTEXT_KEY = pytest.StashKey[RunContext]()
RESULTS_KEY = pytest.StashKey[dict]()
GATES_KEY = pytest.StashKey[dict]()  # resolved spec path -> its GateRun or UnreadableSpec


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fairgate")
    group.addoption(
        "--fairgate-specs",
        "--specs",
        dest="fairgate_specs",
        action="append",
        default=None,
        help="spec files, directories (their *.toml) or globs to gate; repeatable "
        f"(env {SPECS_ENV}, paths separated by '{os.pathsep}'); with no other paths given, "
        "pytest collects these spec files (default: the sentinel fairness_tests/test_specs.py "
        "gates specs/*.toml)",
    )
    group.addoption(
        "--fairgate-reports", default=None, help="where runs write reports (default: reports/)"
    )
    group.addoption(
        "--fairgate-cache", default=None, help="results cache (default: ~/.cache/fairgate)"
    )
    group.addoption("--fairgate-store", default=None, help=STORE_HELP)


def pytest_load_initial_conftests(early_config: pytest.Config, parser, args: list[str]) -> None:
    """`pytest --fairgate-specs=specs/` with no paths: the spec files are the paths, not the
    project's testpaths. Runs only where the plugin came from the entry point or `-p`: a
    conftest that registers it is read after this hook."""
    namespace = early_config.known_args_namespace
    patterns = _explicit_patterns(namespace.fairgate_specs)
    if patterns and not namespace.file_or_dir:
        args.extend(str(path) for path in _expand(patterns))


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
    patterns = _explicit_patterns(config.getoption("fairgate_specs"))
    spec_paths = _expand(patterns or [str(config.rootpath / "specs" / "*.toml")])
    if patterns and not spec_paths:
        raise pytest.UsageError(f"--fairgate-specs {' '.join(patterns)}: no spec files there")
    try:
        config.stash[CONTEXT_KEY] = RunContext(spec_paths, reports, cache, run_id, config.getoption("fairgate_store"))
    except (StoreLocationInvalid, StoreUnavailable) as e:
        raise pytest.UsageError(str(e)) from e
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
                if parts[0].endswith((SENTINEL, ".toml")) and len(parts) > 3:
                    return "::".join(parts[:3])
                return super()._split_scope(nodeid)

        return VariantScopeScheduling(config, log)


def pytest_pycollect_makemodule(module_path: Path, parent):
    if module_path.name == SENTINEL and module_path.parent.name == "fairness_tests":
        return SpecFiles.from_parent(parent, path=module_path)
    return None


def pytest_collect_file(file_path: Path, parent):
    """A spec file named by --fairgate-specs / FAIRGATE_SPECS; other .toml files (a project's
    pyproject.toml) are not specs."""
    if file_path.suffix == ".toml" and _explicit_patterns(parent.config.getoption("fairgate_specs")):
        if file_path.resolve() in _gates(parent.config):
            return SpecFiles.from_parent(parent, path=file_path)
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


def _explicit_patterns(option: list[str] | None) -> list[str]:
    """The specs the user named, on the command line or in the environment; [] if none."""
    if option:
        return option
    return [p for p in os.environ.get(SPECS_ENV, "").split(os.pathsep) if p]


def _expand(patterns: list[str]) -> list[Path]:
    paths: list[Path] = []
    for pattern in patterns:
        if glob.has_magic(pattern):
            matches = sorted(glob.glob(pattern))
        elif Path(pattern).is_dir():
            matches = sorted(glob.glob(os.path.join(pattern, "*.toml")))
        else:
            matches = [pattern]  # a missing file stays, to fail as an unreadable spec
        paths += [Path(m) for m in matches if Path(m) not in paths]
    return paths


def _gates(config: pytest.Config) -> dict[Path, GateRun | UnreadableSpec]:
    """Every spec of the run, read once, whichever collector asks first."""
    if GATES_KEY not in config.stash:
        config.stash[GATES_KEY] = {
            (gate.loaded.path if isinstance(gate, GateRun) else gate.path).resolve(): gate
            for gate in config.stash[CONTEXT_KEY].gates()
        }
    return config.stash[GATES_KEY]


class SpecFiles(pytest.File):
    """The sentinel (every spec of the run) or one spec file. A spec reached both ways (e.g.
    `pytest .` with --fairgate-specs) is gated once, by the first collector."""

    def collect(self):
        gates = _gates(self.config)
        for path in [self.path.resolve()] if self.path.suffix == ".toml" else list(gates):
            gate = gates.pop(path, None)
            if isinstance(gate, UnreadableSpec):
                yield InvalidSpec.from_parent(self, name=gate.path.name, error=gate.error)
            elif gate is not None:
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
