"""summary.md: the verdicts as Markdown a reviewer can paste into a pull request.

Per spec, what needs attention comes first: a compact table of the failures with their
interval and the reason, then for failing items of metrics on generated text the
continuations that changed most, then the warnings counted per check and variant (a suite
can raise hundreds of low-power warnings; the full texts sit in a collapsed <details>), and
last the passes, collapsed too. Every name and text in a cell goes through
`examples.safe_text`, since a category name or a reason may hold `|`, backticks, `<` or a
newline that would otherwise break the table or inject HTML.
"""

from __future__ import annotations

from collections import defaultdict

from engine.report import examples
from engine.report.examples import safe_text

# A warning about a check's data set holds for every variant; it is counted under this label.
DATA_SET = "all (data set)"


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


def _failures(spec: dict, failures: list[dict]) -> list[str]:
    if not failures:
        return ["No failures.", ""]
    lines = [
        f"### {len(failures)} failed",
        "",
        (
            "| variant | check | subgroup | baseline | variant value | worsening | interval "
            "| tolerance | n | reason |"
        ),
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for v in failures:
        lines.append(
            f"| {_item(v)} | {format_value(v['baseline'])} | {format_value(v['value'])} | "
            f"{format_value(v['worsening'], '+')} | {format_interval(v['worsening_interval'])} | "
            f"{v['tolerance']:.3f} | {v['n']} | {safe_text('; '.join(v['reasons']))} |"
        )
    worst = [line for v in failures for line in examples.render(spec, v)]
    return lines + [""] + worst


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
        subgroups = ", ".join(safe_text(s) for s, _ in ws if s) or "—"
        lines.append(f"| {safe_text(metric)} | {safe_text(variant)} | {len(ws)} | {subgroups} |")
    full = [
        f"- {safe_text(metric)} / {safe_text(variant)}{' / ' + safe_text(s) if s else ''}: {safe_text(w)}"
        for (metric, variant), ws in grouped.items()
        for s, w in ws
    ]
    return lines + [""] + _details(f"All {total} warnings", full)


def _passes(passes: list[dict]) -> list[str]:
    if not passes:
        return []
    table = [
        (
            "| variant | check | subgroup | baseline | variant value | change | worsening | interval "
            "| tolerance | rule | n |"
        ),
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for v in passes:
        table.append(
            f"| {_item(v)} | {format_value(v['baseline'])} | {format_value(v['value'])} | "
            f"{format_value(v['change'], '+')} | {format_value(v['worsening'], '+')} | "
            f"{format_interval(v['worsening_interval'])} | {v['tolerance']:.3f} | {safe_text(v['rule'])} | {v['n']} |"
        )
    return [f"### {len(passes)} passed", ""] + _details(f"Show the {len(passes)} passes", table)


def _spec_section(spec: dict) -> list[str]:
    lines = [f"## {safe_text(spec['name'])}", "", f"`{spec['file']}` (sha256 {spec['sha256'][:12]})", ""]
    lines += [_statistics(spec), ""]
    ordered = sorted(spec["verdicts"], key=lambda v: (v["variant"], v["metric"], v["subgroup"]))
    lines += _failures(spec, [v for v in ordered if not v["passed"]])
    lines += _warnings(spec)
    lines += _passes([v for v in ordered if v["passed"]])
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
