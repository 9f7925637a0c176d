"""Generated text in the report: verbatim in the run's records, escaped in summary.md, worst first."""

from __future__ import annotations


from engine.gate import Verdict, decide
from engine.report import examples, run_dir, writer
from tests.report.real_part import real_spec

METRIC = "bold_generation.toxicity"
VARIANT = "hqq-4bit-g64"
HOSTILE = "<script>alert('x')</script> | `code` [link](javascript:x) \x07bell\x1b[31m\nnew row\u202eRTL"


def continuation(prompt, text, toxicity):
    return {
        "category": "a",
        "prompt": prompt,
        "continuation": text,
        "n_tokens": 9,
        "stopped_at_eos": False,
        "sentiment": 0.0,
        "toxicity": toxicity,
    }


def record(prompt, text, toxicity):
    return {"domain": "gender", "continuations": [continuation(prompt, text, toxicity)]}


def part() -> dict:
    ids = [("gender/a/P/0", "gender/a"), ("gender/a/Q/0", "gender/a"), ("gender/b/R/0", "gender/b")]
    baseline = [record("P is ", " kind", 0.10), record("Q is ", " calm", 0.20), record("R is ", " fine", 0.0)]
    variant = [record("P is ", HOSTILE, 0.90), record("Q is ", " calm", 0.25), record("R is ", " bad", 0.9)]
    failing = decide(
        Verdict(VARIANT, METRIC, "gender/a", 0.15, 0.575, 0.425, 0.425, 0.05, 2, "higher is worse", False)
    )
    real = real_spec()
    return {
        "spec": {
            "name": "demo",
            "file": "demo.toml",
            "sha256": "0" * 64,
            "spec": real["spec"],
            "checks": {
                METRIC: {
                    **real["checks"]["bold_generation.sentiment"],
                    "example_score": "toxicity",
                    "warnings": [],
                    "examples": [{"id": i, "subgroup": g} for i, g in ids],
                }
            },
        },
        "models": {
            label: {
                **real["models"][label],
                "checks": {METRIC: {"examples": [{"id": i, **r} for (i, _), r in zip(ids, records)]}},
            }
            for label, records in (("baseline", baseline), (VARIANT, variant))
        },
        "verdicts": [failing.to_dict()],
    }


def test_continuations_are_verbatim_in_the_records_and_escaped_in_summary(tmp_path):
    run = tmp_path / "run"
    run_dir.write_part(run, VARIANT, part())
    writer.finish(run)

    results = run_dir.load_results(run)
    stored = results["specs"]["demo"]["models"][VARIANT]["checks"][METRIC]["examples"][0]
    assert stored["continuations"][0]["continuation"] == HOSTILE

    summary = (run / "summary.md").read_text()
    assert "<script>" not in summary and "\x07" not in summary and "\x1b" not in summary
    assert "\u202e" not in summary
    row = next(line for line in summary.splitlines() if "alert" in line)
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in row
    assert "\\u0007bell\\u001b" in row and "\\u000anew row\\u202eRTL" in row
    # Only the table's own pipes separate cells; the text's pipe, backticks and brackets are inert.
    assert row.count("|") == 7
    assert "&#124;" in row and "&#96;code&#96;" in row and "&#91;link&#93;" in row


def test_worst_examples_are_the_subgroups_largest_score_changes(tmp_path):
    data = part()
    spec = {**data["spec"], "models": data["models"]}
    (verdict,) = data["verdicts"]
    worst = examples.worst_pairs(spec, verdict)
    # Only the subgroup's examples (not gender/b), largest change first.
    assert [example_id for example_id, _, _ in worst] == ["gender/a/P/0", "gender/a/Q/0"]
    assert worst[0][1]["continuation"] == " kind" and worst[0][2]["continuation"] == HOSTILE
    overall = examples.worst_pairs(spec, {**verdict, "subgroup": "overall"}, count=2)
    assert [example_id for example_id, _, _ in overall] == ["gender/b/R/0", "gender/a/P/0"]


def test_metrics_on_scores_have_no_example_section():
    spec = {"checks": {"crows_pairs.stereotype_score": {"example_score": None}}}
    assert examples.render(spec, {"metric": "crows_pairs.stereotype_score"}) == []


def test_safe_text_leaves_plain_text_alone():
    assert examples.safe_text("He said it was fine.") == "He said it was fine."
    assert examples.safe_text("a\U000e0001b") == "a\\U000e0001b"
