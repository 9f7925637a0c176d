"""One gate run, whichever shell drives it: the results store, the run directory and its
per-variant parts, each variant judged against its spec's baseline, and the report.

`fairgate run` walks the variants itself; the pytest plugin judges one variant per collector
setup, in one process or in several xdist workers. Each worker builds its own RunContext on
the controller's run id, so all parts land in one directory and the controller finishes it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from engine import progress
from engine.report import run_dir, writer
from engine.report.results import baseline_part, variant_part
from engine.run import GateRun, VariantOutcome
from engine.scoring.text_scores import TextScorers
from engine.spec.loader import SpecError, load_spec
from engine.store import ResultStore


@dataclass(frozen=True)
class UnreadableSpec:
    """A spec file that cannot be gated: a SpecError, or a name another spec file took."""

    path: Path
    error: Exception


class RunContext:
    def __init__(
        self,
        spec_paths: Sequence[Path | str],
        reports: Path,
        cache: Path | str | None,
        run_id: str | None = None,
        store: str | None = None,
    ) -> None:
        """`store`: where results go, a directory or an object store's URL (default: the
        cache's); raises StoreLocationInvalid or StoreUnavailable when it cannot be used."""
        self.spec_paths = [Path(p) for p in spec_paths]
        self.store = ResultStore.in_cache(cache, store)
        self.text_scorers = TextScorers(self.store)
        self.directory = Path(reports) / (run_id or run_dir.new_run_id())

    def gates(self) -> Iterator[GateRun | UnreadableSpec]:
        """Each spec file in order, ready to gate or unreadable; parts are named by spec
        name, so a name is gated once."""
        names: dict[str, Path] = {}
        for path in self.spec_paths:
            try:
                loaded = load_spec(path)
            except SpecError as error:
                yield UnreadableSpec(path, error)
                continue
            name = loaded.spec.name
            if name in names:
                error = ValueError(f"{path}: spec name {name!r} is also used by {names[name]}")
                yield UnreadableSpec(path, error)
                continue
            names[name] = path
            # Decided now: stderr is what the shell makes of it (under pytest: captured or -s).
            progress.quiet_libraries()
            yield GateRun(loaded, self.store, progress.report, self.text_scorers)

    def judge(
        self, gate: GateRun, variant: str, selected: Collection[tuple[str, str]] | None = None
    ) -> VariantOutcome:
        """The variant against its baseline, its part written before returning so that a crash
        later loses none. `selected`: the (check, subgroup) pairs the report speaks of, e.g.
        under `pytest -k`; None: all. Raises RunError when a model cannot be evaluated."""
        outcome = gate.evaluate_variant(variant)
        if selected is not None:
            verdicts = [v for v in outcome.verdicts if (v.metric, v.subgroup) in selected]
            outcome = replace(outcome, verdicts=verdicts)
        run_dir.write_part(self.directory, run_dir.part_name(gate.spec.name, variant), variant_part(gate, outcome))
        return outcome

    def judge_baseline(self, gate: GateRun) -> None:
        """Only the baseline, evaluated into the store (for variant jobs sharing it) and written
        as a part without verdicts. Raises RunError when it cannot be evaluated."""
        run_dir.write_part(self.directory, run_dir.part_name(gate.spec.name, None), baseline_part(gate, gate.baseline))

    def finish(self) -> dict | None:
        """results.json, summary.md and report.html from the parts; None when no variant was
        judged."""
        progress.close()  # bars of a stage an error cut short
        return writer.finish(self.directory)
