"""`fairgate validate|schema|run|calibrate`: the engine without pytest."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.calibrate import calibrate, render
from engine.report import run_dir, writer
from engine.report.results import variant_part
from engine.run import GateRun
from engine.spec.loader import SpecError, load_spec
from engine.spec.models import Spec
from engine.store import ResultStore


def schema() -> dict:
    out = Spec.model_json_schema()
    out["$schema"] = "http://json-schema.org/draft-07/schema#"
    out["title"] = "fairgate spec"
    return out


def _validate(args) -> int:
    failed = 0
    for path in args.specs:
        try:
            loaded = load_spec(path)
        except SpecError as e:
            print(e, file=sys.stderr)
            failed += 1
            continue
        spec = loaded.spec
        print(f"{path}: ok ({len(spec.variants)} variants, {len(spec.checks)} checks)")
    return 1 if failed else 0


def _schema(args) -> int:
    print(json.dumps(schema(), indent=2))
    return 0


def _run(args) -> int:
    store = ResultStore(Path(args.cache) / "results" if args.cache else None)
    runs = []
    for path in args.specs:
        try:
            runs.append(GateRun(load_spec(path), store))
        except SpecError as e:
            print(e, file=sys.stderr)
            return 2
    run = Path(args.reports) / run_dir.new_run_id()
    for gate in runs:
        for variant in gate.spec.variants:
            if args.variant and variant.name not in args.variant:
                continue
            outcome = gate.evaluate_variant(variant.name)
            run_dir.write_part(run, f"{gate.spec.name}--{variant.name}", variant_part(gate, outcome))
            for verdict in outcome.verdicts:
                if not verdict.passed:
                    print(f"FAIL {verdict.message()}")
    results = writer.finish(run)
    if results is None:
        print("nothing was evaluated", file=sys.stderr)
        return 2
    totals = results["totals"]
    print(f"{totals['failed']} failed, {totals['passed']} passed; report in {run}/")
    return 1 if totals["failed"] else 0


def _calibrate(args) -> int:
    store = ResultStore(Path(args.cache) / "results" if args.cache else None)
    try:
        run = GateRun(load_spec(args.spec), store)
    except SpecError as e:
        print(e, file=sys.stderr)
        return 2
    print(f"{args.spec}: baseline {run.spec.baseline.model}")
    print(render(calibrate(run, args.tolerance), run.spec.statistics.confidence))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fairgate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check spec files without loading any model")
    p.add_argument("specs", nargs="+")
    p.set_defaults(func=_validate)
    p = sub.add_parser("schema", help="print the JSON Schema of a spec file")
    p.set_defaults(func=_schema)
    p = sub.add_parser("run", help="run the gate on spec files and write a report")
    p.add_argument("specs", nargs="+")
    p.add_argument("--variant", action="append", help="only these variants (repeatable)")
    p.add_argument("--reports", default="reports", help="where to write the run's report")
    p.add_argument("--cache", default=None, help="results cache (default: ~/.cache/fairgate)")
    p.set_defaults(func=_run)
    p = sub.add_parser(
        "calibrate", help="suggest tolerances from the baseline's sampling spread (spec unchanged)"
    )
    p.add_argument("spec")
    p.add_argument(
        "--tolerance", type=float, default=None,
        help="show the examples needed for this tolerance (default: each check's own)",
    )
    p.add_argument("--cache", default=None, help="results cache (default: ~/.cache/fairgate)")
    p.set_defaults(func=_calibrate)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
