"""summary.md puts failures and warnings first, collapses passes, and escapes every cell."""

from __future__ import annotations

from engine.report import summary
from tests.report.large import fixture, many_checks

GITHUB_STEP_SUMMARY_LIMIT = 1024 * 1024

LOW_POWER = "this subgroup cannot support the tolerance: spread +/-0.2 exceeds 0.1"


def verdict(variant="hqq", metric="bbq.bias", subgroup="Age", passed=True, warnings=(), reasons=()):
    return {
        "variant": variant, "metric": metric, "subgroup": subgroup, "passed": passed,
        "baseline": 0.5, "value": 0.7, "change": 0.2, "worsening": 0.2, "tolerance": 0.1,
        "n": 40, "rule": "point", "worsening_interval": [0.05, 0.35],
        "reasons": list(reasons), "warnings": list(warnings),
    }


def results(verdicts, data_warnings=()):
    spec = {
        "name": "demo", "file": "demo.toml", "sha256": "0" * 64, "spec": {},
        "checks": {"bbq.bias": {"warnings": list(data_warnings), "examples": []}},
        "verdicts": verdicts,
    }
    failed = sum(not v["passed"] for v in verdicts)
    totals = {"failed": failed, "passed": len(verdicts) - failed, "verdicts": len(verdicts)}
    return {"run_id": "r1", "totals": totals, "specs": {"demo": spec}}


def test_failures_come_first_with_interval_and_reason_and_passes_are_collapsed():
    text = summary.render(results([
        verdict(subgroup="Age"),
        verdict(subgroup="SES", passed=False, reasons=["worsened by 0.200, more than the tolerance 0.100"]),
    ]))
    failed, passed = text.index("### 1 failed"), text.index("### 1 passed")
    assert failed < passed
    row = next(line for line in text.splitlines() if "| SES |" in line)
    assert text.index(row) < passed
    assert "[+0.050, +0.350]" in row and row.endswith("| worsened by 0.200, more than the tolerance 0.100 |")
    details = text.index("<details><summary>Show the 1 passes per check and variant</summary>")
    counts = text.index("| bbq.bias | 1 of 2 |")
    assert passed < details < counts < text.index("</details>", details)
    assert "| Age |" not in text  # a passing item is counted, not listed


def test_a_run_without_failures_says_so():
    text = summary.render(results([verdict()]))
    assert "No failures." in text and "failed |" not in text.split("### 1 passed")[0]


def test_warnings_are_counted_per_check_and_variant_and_listed_in_details():
    verdicts = [verdict(variant=variant, subgroup=g, warnings=[LOW_POWER]) for variant in ("hqq", "nf4") for g in ("Age", "SES", "overall")]
    text = summary.render(results(verdicts, data_warnings=["bbq.bias / SES: only 9 examples"]))
    lines = text.splitlines()
    assert "### 7 warnings" in lines
    assert "| bbq.bias | hqq | 3 | Age, SES, overall |" in lines
    assert "| bbq.bias | nf4 | 3 | Age, SES, overall |" in lines
    assert f"| bbq.bias | {summary.DATA_SET} | 1 | — |" in lines
    details = lines.index("<details><summary>All 7 warnings</summary>")
    listed = lines[details:lines.index("</details>", details)]
    assert f"- bbq.bias / hqq / SES: {LOW_POWER}" in listed
    assert f"- bbq.bias / {summary.DATA_SET}: bbq.bias / SES: only 9 examples" in listed
    # The table of counts sits before the full list and before the passes.
    assert lines.index("| bbq.bias | hqq | 3 | Age, SES, overall |") < details < lines.index("### 6 passed")


def test_hostile_names_and_reasons_cannot_break_a_table_row():
    hostile = "a|b `c` <i>d</i>\ne"
    text = summary.render(results([
        verdict(variant=hostile, subgroup=hostile, passed=False, reasons=[hostile], warnings=[hostile]),
        verdict(subgroup=hostile),
    ]))
    rows = [line for line in text.splitlines() if line.startswith("| ") and "a&#124;b" in line]
    # failure row, warning-count row, the passes' header (variants are its columns): each
    # keeps exactly its own column count.
    assert len(rows) == 3
    failure, counted, header = rows
    assert failure.count("|") == 11 and counted.count("|") == 5 and header.count("|") == 4
    assert "<i>" not in text and "`c`" not in text and "a|b" not in text
    assert "&lt;i&gt;d&lt;/i&gt;\\u000ae" in failure and "&#96;c&#96;" in failure


def test_names_read_as_written_and_only_table_breakers_are_escaped():
    text = summary.render(results([
        verdict(metric="crows_pairs.stereotype_score", subgroup="race_color*", passed=False,
                reasons=["worsened by 0.2 > 0.1 & more"]),
    ]))
    row = next(line for line in text.splitlines() if "crows_pairs" in line)
    assert "| crows_pairs.stereotype_score | race_color* |" in row
    assert row.endswith("| worsened by 0.2 &gt; 0.1 &amp; more |")


def test_the_fixture_summary_is_small():
    text = summary.render(fixture())
    assert len(text.encode()) < 4 * 1024
    assert "| stereoset.ss | 3 of 3 | 2 of 3 | 2 of 3 |" in text.splitlines()


def test_a_suite_sized_run_fits_a_pull_request():
    # 20 checks, each subgroup 100 times, 3 variants: 18,000 items, 2,000 of them failing.
    large = many_checks(fixture(), copies=10, subgroup_copies=100)
    failed = large["totals"]["failed"]
    assert large["totals"]["verdicts"] == 18000 and failed == 2000
    text = summary.render(large)
    lines = text.splitlines()
    assert len(text.encode()) < 64 * 1024 < GITHUB_STEP_SUMMARY_LIMIT
    failure_rows = [line for line in lines if line.endswith("more than the tolerance 5.000 |")]
    assert len(failure_rows) == summary.FAILURE_ROWS
    assert f"… and {failed - summary.FAILURE_ROWS} more failing items: report.html lists them all." in lines
    # The first row is the item furthest beyond its tolerance.
    assert "| hqq-3bit-g64 | stereoset.ss~0 | gender |" in failure_rows[0]
    warnings = lines.index(next(line for line in lines if line.startswith("<details><summary>The first")))
    assert lines[warnings].startswith(f"<details><summary>The first {summary.WARNING_LINES} of ")
    passes = [line for line in lines if line.startswith("| stereoset.ss~") and " of " in line]
    assert len(passes) == 10 and "| 300 of 300 | 200 of 300 | 200 of 300 |" in passes[0]
