"""summary.md: the verdicts as a Markdown table a reviewer can paste into a pull request,
and for failing items of metrics on generated text the continuations that changed most."""

from __future__ import annotations

from engine.report import examples


def _fmt(x: float | None, sign: str = "") -> str:
    return "undefined" if x is None else f"{x:{sign}.3f}"


def _interval(pair) -> str:
    low, high = pair
    if low is None or high is None:
        return "undefined"
    return f"[{low:+.3f}, {high:+.3f}]"


def _statistics(spec: dict) -> str:
    s = spec.get("spec", {}).get("statistics")
    if not s:
        return ""
    correction = (
        f", {s['correction']} correction per {s['correction_scope']}" if s["correction"] != "none" else ""
    )
    return (
        f"Default rule `{s['rule']}`; intervals: paired bootstrap, {s['resamples']} resamples, "
        f"{s['confidence']:.0%} confidence{correction}."
    )


def render(results: dict) -> str:
    totals = results["totals"]
    lines = [
        f"# fairgate run {results['run_id']}",
        "",
        f"**{totals['failed']} failed**, {totals['passed']} passed "
        f"of {totals['verdicts']} checks.",
        "",
    ]
    for spec in results["specs"].values():
        lines += [f"## {spec['name']}", "", f"`{spec['file']}` (sha256 {spec['sha256'][:12]})", ""]
        lines += [_statistics(spec), ""]
        warnings = [w for check in spec["checks"].values() for w in check.get("warnings", [])]
        warnings += [
            f"{v['variant']} / {v['metric']} / {v['subgroup']}: {w}"
            for v in spec["verdicts"]
            for w in v.get("warnings", [])
        ]
        if warnings:
            lines += ["**Warnings**", ""] + [f"- {w}" for w in warnings] + [""]
        lines += [
            "| verdict | variant | check | subgroup | baseline | variant value | change "
            "| worsening | interval | tolerance | rule | n |",
            "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|",
        ]
        ordered = sorted(
            spec["verdicts"],
            key=lambda v: (v["passed"], v["variant"], v["metric"], v["subgroup"]),
        )
        for v in ordered:
            lines.append(
                f"| {'pass' if v['passed'] else '**FAIL**'} | {v['variant']} | {v['metric']} | "
                f"{v['subgroup']} | {_fmt(v['baseline'])} | {_fmt(v['value'])} | "
                f"{_fmt(v['change'], '+')} | {_fmt(v['worsening'], '+')} | "
                f"{_interval(v['worsening_interval'])} | {v['tolerance']:.3f} | {v['rule']} | {v['n']} |"
            )
        failures = [v for v in ordered if not v["passed"]]
        if failures:
            lines += ["", "**Why they failed**", ""]
            lines += [
                f"- {v['variant']} / {v['metric']} / {v['subgroup']}: {'; '.join(v['reasons'])}"
                for v in failures
            ]
            worst = [line for v in failures for line in examples.render(spec, v)]
            if worst:
                lines += [""] + worst
        lines.append("")
    return "\n".join(lines)
