"""`fairgate run`: every variant of every spec judged against its baseline, one report, and
the exit code (`engine.exit_codes`) that says what was found."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from engine.exit_codes import ExitCode, RunTally
from engine.object_store import StoreLocationInvalid, StoreUnavailable
from engine.run import GateRun
from engine.run_context import RunContext, UnreadableSpec
from engine.run_errors import BrokenCompression, RunError
from engine.spec.loader import SpecError


def run_specs(
    spec_paths: Sequence[Path | str],
    reports: Path,
    cache: Path | str | None,
    only_variants: Sequence[str] | None,
    out: TextIO,
    err: TextIO,
    baseline_only: bool = False,
    store: str | None = None,
) -> ExitCode:
    try:
        context = RunContext(spec_paths, reports, cache, store=store)
    except StoreLocationInvalid as e:
        print(e, file=err)
        return ExitCode.INVALID
    except StoreUnavailable as e:
        print(f"ERROR {e}", file=err)
        return ExitCode.NOT_MEASURED
    gates: list[GateRun] = []
    for gate in context.gates():
        if isinstance(gate, UnreadableSpec):
            print(gate.error, file=err)
            return ExitCode.INVALID
        gates.append(gate)
    names = {v.name for gate in gates for v in gate.spec.variants}
    unknown = sorted(set(only_variants or ()) - names)
    if unknown:
        print(f"--variant {', '.join(unknown)}: no spec has such a variant; the specs have: "
              f"{', '.join(sorted(names))}", file=err)
        return ExitCode.INVALID
    tally = RunTally()
    # Every spec's data before any model: a subgroup its data set lacks makes the spec
    # invalid, and that must be said before minutes of scoring, not after.
    ready = []
    for gate in gates:
        try:
            gate.checks
        except SpecError as e:
            print(e, file=err)
            return ExitCode.INVALID
        except RunError as e:
            print(f"ERROR {e}", file=err)
            tally.unmeasured.append(str(e))
            continue
        ready.append(gate)
    for gate in ready:
        if baseline_only:
            _judge_baseline(context, gate, tally, err)
            continue
        for variant in gate.spec.variants:
            if only_variants and variant.name not in only_variants:
                continue
            _judge(context, gate, variant.name, tally, out, err)
    judged = context.finish() is not None
    print(tally.summary(f"report in {context.directory}/" if judged else "no report (nothing judged)"), file=out)
    return tally.code


def _judge_baseline(context: RunContext, gate: GateRun, tally: RunTally, err: TextIO) -> None:
    try:
        context.judge_baseline(gate)
    except RunError as e:
        print(f"ERROR {e}", file=err)
        tally.unmeasured.append(str(e))


def _judge(context: RunContext, gate: GateRun, variant: str, tally: RunTally, out: TextIO, err: TextIO) -> None:
    try:
        outcome = context.judge(gate, variant)
    except BrokenCompression as e:
        print(f"FAIL {e}", file=out)
        tally.broken.append(str(e))
        return
    except RunError as e:
        # The other variants can still be judged; this one cannot pass.
        print(f"ERROR {e}", file=err)
        tally.unmeasured.append(str(e))
        return
    for verdict in outcome.verdicts:
        if verdict.passed:
            tally.passed += 1
        else:
            tally.failed += 1
            print(f"FAIL {verdict.message()}", file=out)
