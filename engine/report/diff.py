"""What changed between two runs' results.json, as Markdown.

Items are matched by (spec, variant, check, subgroup). Reported: items only one run has,
verdicts that flipped between pass and fail, and worsenings that moved beyond sampling
noise, i.e. whose two intervals do not overlap (or that became defined or undefined). A
worsening that moved within the intervals is what resampling alone produces, so it is not
listed. Specs whose file changed (sha256) are named, since tolerances may differ then.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.report.examples import safe_text
from engine.report.summary import format_interval, format_value

Key = tuple[str, str, str, str]  # spec, variant, check, subgroup
NO_CHANGES = "no changes"


@dataclass
class Changes:
    specs_changed: list[str] = field(default_factory=list)
    added: list[tuple[Key, dict]] = field(default_factory=list)
    removed: list[tuple[Key, dict]] = field(default_factory=list)
    flipped: list[tuple[Key, dict, dict]] = field(default_factory=list)
    moved: list[tuple[Key, dict, dict]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any((self.specs_changed, self.added, self.removed, self.flipped, self.moved))


def _verdicts(results: dict) -> dict[Key, dict]:
    return {
        (name, v["variant"], v["metric"], v["subgroup"]): v
        for name, spec in results["specs"].items()
        for v in spec["verdicts"]
    }


def moved_beyond_intervals(before: dict, after: dict) -> bool:
    if (before["worsening"] is None) != (after["worsening"] is None):
        return True
    (low_a, high_a), (low_b, high_b) = before["worsening_interval"], after["worsening_interval"]
    if None in (low_a, high_a, low_b, high_b):
        return False
    return high_a < low_b or high_b < low_a


def compare(before: dict, after: dict) -> Changes:
    changes = Changes()
    changes.specs_changed = sorted(
        name
        for name, spec in after["specs"].items()
        if name in before["specs"] and before["specs"][name]["sha256"] != spec["sha256"]
    )
    old, new = _verdicts(before), _verdicts(after)
    changes.removed = [(k, old[k]) for k in sorted(old.keys() - new.keys())]
    changes.added = [(k, new[k]) for k in sorted(new.keys() - old.keys())]
    for key in sorted(old.keys() & new.keys()):
        a, b = old[key], new[key]
        if a["passed"] != b["passed"]:
            changes.flipped.append((key, a, b))
        elif moved_beyond_intervals(a, b):
            changes.moved.append((key, a, b))
    return changes


def _cells(key: Key) -> str:
    return " | ".join(safe_text(part) for part in key)


def _verdict(v: dict) -> str:
    return "pass" if v["passed"] else "**FAIL**"


def _worsening(v: dict) -> str:
    if v["worsening"] is None:
        return "undefined"
    return f"{format_value(v['worsening'], '+')} {format_interval(v['worsening_interval'])}"


_ITEM = "| spec | variant | check | subgroup |"
_ITEM_RULE = "|---|---|---|---|"


def _pairs(title: str, rows: list[tuple[Key, dict, dict]]) -> list[str]:
    if not rows:
        return []
    lines = [
        f"### {len(rows)} {title}",
        "",
        f"{_ITEM} before | after | worsening before | worsening after |",
        f"{_ITEM_RULE}---|---|---:|---:|",
    ]
    lines += [
        f"| {_cells(k)} | {_verdict(a)} | {_verdict(b)} | {_worsening(a)} | {_worsening(b)} |"
        for k, a, b in rows
    ]
    return lines + [""]


def _singles(title: str, rows: list[tuple[Key, dict]]) -> list[str]:
    if not rows:
        return []
    lines = [f"### {len(rows)} {title}", "", f"{_ITEM} verdict | worsening |", f"{_ITEM_RULE}---|---:|"]
    lines += [f"| {_cells(k)} | {_verdict(v)} | {_worsening(v)} |" for k, v in rows]
    return lines + [""]


def render(before: dict, after: dict) -> str:
    changes = compare(before, after)
    if not changes:
        return NO_CHANGES
    lines = [f"# Changes from run {safe_text(before['run_id'])} to {safe_text(after['run_id'])}", ""]
    lines += [
        f"- spec {safe_text(name)}: its file changed (sha256 "
        f"{before['specs'][name]['sha256'][:12]} -> {after['specs'][name]['sha256'][:12]}), "
        "so tolerances or checks may differ"
        for name in changes.specs_changed
    ]
    lines += [""] if changes.specs_changed else []
    lines += _pairs("verdicts flipped", changes.flipped)
    lines += _pairs("worsenings moved beyond their intervals", changes.moved)
    lines += _singles("items only in the second run", changes.added)
    lines += _singles("items only in the first run", changes.removed)
    return "\n".join(lines)
