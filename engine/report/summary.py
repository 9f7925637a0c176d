"""summary.md: the verdicts as Markdown a reviewer can paste into a pull request.

GitHub caps a job's step summary at 1 MiB and a reviewer reads the first screen, while a
suite run holds thousands of items; so the summary is bounded and report.html lists every
item. Per spec, what needs attention comes first: the failures, furthest beyond their
tolerance first, at most FAILURE_ROWS of them, with their interval and reason; then for the
first WORST_EXAMPLE_ITEMS failing items of metrics on generated text the continuations that
changed most; then the warnings counted per check and variant with at most WARNING_LINES
full texts in a collapsed <details>; last the passes as counts, one row per check and one
column per variant, collapsed too. Every name and reason in a cell goes through
`examples.safe_text` (a name may hold `|`, backticks, `<` or a newline that would break the
table or inject HTML); generated text through `examples.generated_text`.
"""

from __future__ import annotations

from collections import defaultdict

from engine.report import examples
from engine.report.examples import safe_text

# A warning about a check's data set holds for every variant; it is counted under this label.
DATA_SET = "all (data set)"
BASELINE_ONLY = (
    "Baseline only: its scores are in the cache for the jobs that judge the variants "
    "(`fairgate run SPEC --variant NAME` on the same `--cache`); `fairgate merge` joins their runs."
)
FAILURE_ROWS = 50
WORST_EXAMPLE_ITEMS = 5
WARNING_LINES = 50
SUBGROUPS_NAMED = 12  # per row of the warning counts


def format_value(x: float | None, sign: str = "") -> str:
    return "undefined" if x is None else f"{x:{sign}.3f}"


def format_interval(pair) -> str:
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


def _item(v: dict) -> str:
    return f"{safe_text(v['variant'])} | {safe_text(v['metric'])} | {safe_text(v['subgroup'])}"


def _details(summary: str, body: list[str]) -> list[str]:
    # GitHub renders Markdown inside <details> only with a blank line after </summary>.
    return [f"<details><summary>{summary}</summary>", ""] + body + ["", "</details>", ""]


def _beyond_tolerance(v: dict) -> tuple:
    """Sort key, furthest beyond its tolerance first; an undefined worsening after every number."""
    worsening = v["worsening"]
    excess = 0.0 if worsening is None else worsening - v["tolerance"]
    return (worsening is None, -excess, v["variant"], v["metric"], v["subgroup"])


def _more(count: int, what: str) -> list[str]:
    return [f"… and {count} more {what}: report.html lists them all.", ""] if count > 0 else []


def _failures(spec: dict, failures: list[dict]) -> list[str]:
    if not failures:
        return ["No failures.", ""]
    shown = sorted(failures, key=_beyond_tolerance)[:FAILURE_ROWS]
    lines = [
        f"### {len(failures)} failed",
        "",
        (
            "| variant | check | subgroup | baseline | variant value | worsening | interval "
            "| tolerance | n | reason |"
        ),
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for v in shown:
        lines.append(
            f"| {_item(v)} | {format_value(v['baseline'])} | {format_value(v['value'])} | "
            f"{format_value(v['worsening'], '+')} | {format_interval(v['worsening_interval'])} | "
            f"{v['tolerance']:.3f} | {v['n']} | {safe_text('; '.join(v['reasons']))} |"
        )
    lines += [""] + _more(len(failures) - len(shown), "failing items")
    with_examples = [v for v in shown if examples.render(spec, v)][:WORST_EXAMPLE_ITEMS]
    return lines + [line for v in with_examples for line in examples.render(spec, v)]


def _warnings_by_group(spec: dict) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(check, variant) -> [(subgroup, warning)], data set warnings under DATA_SET."""
    grouped: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for metric, check in spec["checks"].items():
        for w in check.get("warnings", []):
            grouped[(metric, DATA_SET)].append(("", w))
    for v in spec["verdicts"]:
        for w in v.get("warnings", []):
            grouped[(v["metric"], v["variant"])].append((v["subgroup"], w))
    return dict(sorted(grouped.items()))


def _warnings(spec: dict) -> list[str]:
    grouped = _warnings_by_group(spec)
    total = sum(len(ws) for ws in grouped.values())
    if not total:
        return []
    lines = [
        f"### {total} warnings",
        "",
        "| check | variant | warnings | subgroups |",
        "|---|---|---:|---|",
    ]
    for (metric, variant), ws in grouped.items():
        named = [safe_text(s) for s, _ in ws if s]
        more = f" and {len(named) - SUBGROUPS_NAMED} more" if len(named) > SUBGROUPS_NAMED else ""
        subgroups = ", ".join(named[:SUBGROUPS_NAMED]) + more or "—"
        lines.append(f"| {safe_text(metric)} | {safe_text(variant)} | {len(ws)} | {subgroups} |")
    full = [
        f"- {safe_text(metric)} / {safe_text(variant)}{' / ' + safe_text(s) if s else ''}: {safe_text(w)}"
        for (metric, variant), ws in grouped.items()
        for s, w in ws
    ]
    listed = full[:WARNING_LINES] + _more(total - WARNING_LINES, "warnings")
    title = f"All {total} warnings" if total <= WARNING_LINES else f"The first {WARNING_LINES} of {total} warnings"
    return lines + [""] + _details(title, listed)


def _passes(spec: dict, passes: list[dict]) -> list[str]:
    if not passes:
        return []
    variants = list(dict.fromkeys(v["variant"] for v in spec["verdicts"]))
    items: dict[tuple[str, str], int] = defaultdict(int)
    passed: dict[tuple[str, str], int] = defaultdict(int)
    for v in spec["verdicts"]:
        items[(v["metric"], v["variant"])] += 1
        passed[(v["metric"], v["variant"])] += v["passed"]
    table = [
        "| check | " + " | ".join(safe_text(variant) for variant in variants) + " |",
        "|---|" + "---:|" * len(variants),
    ]
    for metric in dict.fromkeys(v["metric"] for v in spec["verdicts"]):
        cells = [
            f"{passed[(metric, variant)]} of {items[(metric, variant)]}" if items[(metric, variant)] else "—"
            for variant in variants
        ]
        table.append(f"| {safe_text(metric)} | " + " | ".join(cells) + " |")
    note = "Items passed per check and variant; report.html lists each with its interval."
    return [f"### {len(passes)} passed", ""] + _details(
        f"Show the {len(passes)} passes per check and variant", [note, ""] + table
    )


def _spec_section(spec: dict) -> list[str]:
    lines = [f"## {safe_text(spec['name'])}", "", f"`{spec['file']}` (sha256 {spec['sha256'][:12]})", ""]
    lines += [_statistics(spec), ""]
    if list(spec.get("models", {})) == ["baseline"]:
        return lines + [BASELINE_ONLY, ""]
    ordered = sorted(spec["verdicts"], key=lambda v: (v["variant"], v["metric"], v["subgroup"]))
    lines += _failures(spec, [v for v in ordered if not v["passed"]])
    lines += _warnings(spec)
    lines += _passes(spec, [v for v in ordered if v["passed"]])
    return lines


def render(results: dict) -> str:
    totals = results["totals"]
    lines = [
        f"# fairgate run {results['run_id']}",
        "",
        f"**{totals['failed']} failed**, {totals['passed']} passed of {totals['verdicts']} checks.",
        "",
    ]
    for spec in results["specs"].values():
        lines += _spec_section(spec)
    return "\n".join(lines)
