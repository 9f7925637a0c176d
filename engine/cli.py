"""`fairgate validate|list|init|schema|run|calibrate`: the engine without pytest."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine import catalog
from engine.exit_codes import exit_code_table
from engine.object_store import STORE_HELP
from engine.spec import cost, starter
from engine.spec.loader import SpecError, load_spec
from engine.spec.schema import spec_schema as schema
from engine.store import ResultStore


def _validate(args) -> int:
    failed = 0
    for path in args.specs:
        try:
            loaded = load_spec(path)
            estimate = cost.estimate(loaded)
        except SpecError as e:
            print(e, file=sys.stderr)
            failed += 1
            continue
        spec = loaded.spec
        print(f"{path}: ok ({len(spec.variants)} variants, {len(spec.checks)} checks)")
        print("\n".join(cost.render(estimate, spec.baseline.batch_size)))
    return 1 if failed else 0


_LISTS = {
    "metrics": catalog.metric_lines,
    "datasets": catalog.dataset_lines,
    "quantization": catalog.quantization_lines,
    "scorers": catalog.scorer_lines,
}


def _list(args) -> int:
    if args.name is not None and args.kind != "subgroups":
        print(f"`fairgate list {args.kind}` takes no name", file=sys.stderr)
        return 2
    try:
        lines = catalog.subgroup_lines(args.name) if args.kind == "subgroups" else _LISTS[args.kind]()
    except catalog.UnknownName as e:
        print(e.args[0], file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


def _init(args) -> int:
    output = Path(args.output or f"{starter.spec_name(args.model)}.toml")
    if output.exists():
        print(f"{output} exists; not overwritten (give another --output)", file=sys.stderr)
        return 1
    try:
        text = starter.starter_spec(args.model, args.methods.split(","), output)
    except starter.UnknownMethod as e:
        print(e, file=sys.stderr)
        return 2
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output}; check it with: fairgate validate {output}")
    return 0


def _schema(args) -> int:
    print(json.dumps(schema(), indent=2))
    return 0


# `run` and `calibrate` import the model code (torch) when they start, not when the CLI
# does: the other commands read specs and reports only, and should start at once.


def _run(args) -> int:
    import traceback

    from engine.exit_codes import ExitCode
    from engine.run_specs import run_specs

    try:
        return run_specs(args.specs, Path(args.reports), args.cache, args.variant, sys.stdout, sys.stderr,
                         baseline_only=args.baseline_only, store=args.store)
    except Exception:
        # A crash is the gate failing, not the build: CI must not read it as a regression.
        traceback.print_exc()
        code = ExitCode.NOT_MEASURED
        print(f"fairgate crashed; exit {code.value}: {code.label}", file=sys.stderr)
        return code


# The report commands are imported where used: matplotlib and the report templates are
# most of what `fairgate validate` and `list` would otherwise import.
def _report(args) -> int:
    from engine.report import commands as report_commands

    return report_commands.report(Path(args.run))


def _diff(args) -> int:
    from engine.report import commands as report_commands

    try:
        print(report_commands.diff(Path(args.run_a), Path(args.run_b)))
    except report_commands.NoResults as e:
        print(e, file=sys.stderr)
        return 2
    return 0


def _merge(args) -> int:
    from engine.report import merge

    try:
        directory, results = merge.merge_runs([Path(r) for r in args.runs], Path(args.reports))
    except merge.MergeRefused as e:
        print(e, file=sys.stderr)
        return 2
    totals = results["totals"]
    print(f"{totals['failed']} failed, {totals['passed']} passed; report in {directory}/")
    return 1 if totals["failed"] else 0


def _calibrate(args) -> int:
    from engine.calibrate import calibrate, render
    from engine.run_errors import RunError
    from engine.run import GateRun

    from engine.object_store import StoreLocationInvalid, StoreUnavailable

    try:
        run = GateRun(load_spec(args.spec), ResultStore.in_cache(args.cache, args.store))
    except (SpecError, StoreLocationInvalid) as e:
        print(e, file=sys.stderr)
        return 2
    except StoreUnavailable as e:
        print(e, file=sys.stderr)
        return 3
    print(f"{args.spec}: baseline {run.spec.baseline.model}")
    try:
        suggestions = calibrate(run, args.tolerance)
    except RunError as e:
        print(e, file=sys.stderr)
        return 2
    print(render(suggestions, run.spec.statistics.confidence))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fairgate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "validate", help="check spec files without loading any model, and estimate their cost"
    )
    p.add_argument("specs", nargs="+")
    p.set_defaults(func=_validate)
    p = sub.add_parser("list", help="what a spec can name, with one-line descriptions")
    p.add_argument("kind", choices=catalog.KINDS)
    p.add_argument("name", nargs="?", help="for subgroups: a metric or data set")
    p.set_defaults(func=_list)
    p = sub.add_parser("init", help="write a commented starter spec for a model")
    p.add_argument("model", help="builtin:NAME, a hub id, or a local checkpoint directory")
    p.add_argument(
        "--methods", default=",".join(starter.DEFAULT_METHODS),
        help=f"comma-separated, from: {', '.join(starter.METHODS)}",
    )
    p.add_argument("--output", default=None, help="the spec file (default: MODEL-NAME.toml)")
    p.set_defaults(func=_init)
    p = sub.add_parser("schema", help="print the JSON Schema of a spec file")
    p.set_defaults(func=_schema)
    p = sub.add_parser(
        "run",
        help="run the gate on spec files and write a report",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"exit codes:\n{exit_code_table()}",
    )
    p.add_argument("specs", nargs="+")
    only = p.add_mutually_exclusive_group()
    only.add_argument("--variant", action="append", help="only these variants (repeatable)")
    only.add_argument(
        "--baseline-only", action="store_true",
        help="evaluate only the baseline into the cache, for variant jobs that share it",
    )
    p.add_argument("--reports", default="reports", help="where to write the run's report")
    p.add_argument("--cache", default=None, help="results cache (default: ~/.cache/fairgate)")
    p.add_argument("--store", default=None, help=STORE_HELP)
    p.set_defaults(func=_run)
    p = sub.add_parser("report", help="re-render a run's report from its results.json (no model runs)")
    p.add_argument("run", help="a run directory, e.g. reports/latest")
    p.set_defaults(func=_report)
    p = sub.add_parser(
        "diff", help="what changed between two runs: flipped verdicts, moved worsenings, items added or removed"
    )
    p.add_argument("run_a", help="the earlier run directory")
    p.add_argument("run_b", help="the later run directory")
    p.set_defaults(func=_diff)
    p = sub.add_parser(
        "merge", help="one run from the run directories of jobs that each judged some variants"
    )
    p.add_argument("runs", nargs="+", help="run directories, e.g. one per CI job")
    p.add_argument("--reports", default="reports", help="where to write the merged run")
    p.set_defaults(func=_merge)
    p = sub.add_parser(
        "calibrate", help="suggest tolerances from the baseline's sampling spread (spec unchanged)"
    )
    p.add_argument("spec")
    p.add_argument(
        "--tolerance", type=float, default=None,
        help="show the examples needed for this tolerance (default: each check's own)",
    )
    p.add_argument("--cache", default=None, help="results cache (default: ~/.cache/fairgate)")
    p.add_argument("--store", default=None, help=STORE_HELP)
    p.set_defaults(func=_calibrate)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
