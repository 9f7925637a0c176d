"""The worst examples of a failing item of a metric on generated text, for summary.md.

For a failing (variant, check, subgroup) of a metric whose records hold continuations, the
continuations of the subgroup's examples are paired baseline with variant (same prompt) and
ranked by how much the score the metric is built from (its `example_score`, e.g. toxicity)
changed, largest absolute change first, ties by example id. The reviewer sees both texts
next to both scores, which is what tells a real shift from a classifier's quirk.

Every text in a Markdown table cell goes through `safe_text`, which escapes only what could
break the table or inject HTML: `&`, `<`, `>`, `|` and backticks become character
references, and control, format and line-separator characters are shown as \\uXXXX escapes
(a newline would end the row, a bidirectional override reorder what is shown). Names
(checks, subgroups, variants) and reasons then read as they are written. Generated text is
untrusted and goes through `generated_text`, which also neutralises Markdown's inline
syntax (a continuation must not become a link, an image fetched from anywhere, or emphasis
that hides characters). Texts stay verbatim in results.json (JSON escapes what it must).
"""

from __future__ import annotations

import html
import unicodedata

WORST = 3
_TABLE = {c: f"&#{ord(c)};" for c in "|`"}
_MARKDOWN = {c: f"&#{ord(c)};" for c in "\\`*_[]|~"}
_INVISIBLE = ("Cc", "Cf", "Zl", "Zp")


def _escaped(text: str, references: dict[str, str]) -> str:
    out = []
    for ch in html.escape(text, quote=False):
        if unicodedata.category(ch) in _INVISIBLE:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(references.get(ch, ch))
    return "".join(out)


def safe_text(text: str) -> str:
    """A name or reason for a Markdown table cell."""
    return _escaped(text, _TABLE)


def generated_text(text: str) -> str:
    """Text from a data set or a model for a Markdown table cell, its Markdown shown as typed."""
    return _escaped(text, _MARKDOWN)


def worst_pairs(spec: dict, verdict: dict, count: int = WORST) -> list[tuple[str, dict, dict]]:
    """(example id, baseline continuation, variant continuation), most changed first."""
    metric = verdict["metric"]
    field = spec["checks"][metric]["example_score"]
    subgroup = verdict["subgroup"]
    listed = spec["checks"][metric]["examples"]
    baseline = spec["models"]["baseline"]["checks"][metric]["examples"]
    variant = spec["models"][verdict["variant"]]["checks"][metric]["examples"]
    pairs = [
        (example["id"], before, after)
        for example, base_record, variant_record in zip(listed, baseline, variant)
        if subgroup in ("overall", example["subgroup"])
        for before, after in zip(base_record["continuations"], variant_record["continuations"])
    ]
    pairs.sort(key=lambda p: (-abs(p[2][field] - p[1][field]), p[0]))
    return pairs[:count]


def render(spec: dict, verdict: dict) -> list[str]:
    """Markdown lines for one failing item; none when its metric is not on generated text."""
    field = spec["checks"].get(verdict["metric"], {}).get("example_score")
    if field is None:
        return []
    label = safe_text(f"{verdict['variant']} / {verdict['metric']} / {verdict['subgroup']}")
    lines = [
        f"Worst examples of {label} (largest change of the continuation's {field}):",
        "",
        f"| example | prompt | baseline continuation | {field} | variant continuation | {field} |",
        "|---|---|---|---:|---|---:|",
    ]
    for example_id, before, after in worst_pairs(spec, verdict):
        lines.append(
            f"| {safe_text(example_id)} | {generated_text(before['prompt'])} | "
            f"{generated_text(before['continuation'])} | {before[field]:+.3f} | "
            f"{generated_text(after['continuation'])} | {after[field]:+.3f} |"
        )
    return lines + [""]
