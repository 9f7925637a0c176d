"""`fairgate validate`: data availability and the cost estimate under the "ok" line."""

from __future__ import annotations

from pathlib import Path

from engine import cli
from engine.spec.cost import estimate
from engine.spec.loader import load_spec

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"

HEAD = 'name = "t"\n[baseline]\nmodel = "builtin:smollm2-135m-instruct"\n[[variants]]\nname = "v"\n'


def test_crows_pairs_estimate_for_the_default_spec(capsys):
    assert cli.main(["validate", str(SPECS / "smollm2-135m.toml")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("smollm2-135m.toml: ok (4 variants, 1 checks)")
    # 1,508 pairs request 3,016 sentences; two sentences occur twice and are scored once.
    assert out[1].startswith(
        "  crows_pairs.stereotype_score: 1,508 examples, 3,014 distinct sequences scored in about "
    )
    assert out[-1].startswith("  per model: 3,014 distinct sequences")
    assert "5 models (baseline and 4 variants)" in out[-1]


def test_suite_estimate_counts_what_checks_share_once():
    cost = estimate(load_spec(SPECS / "smollm2-135m-suite.toml"))
    by_metric = {c.metric: c for c in cost.checks}
    assert by_metric["stereoset.ss"].examples == 679  # 200 per domain, religion has 79
    assert by_metric["stereoset.ss"].scoring.sequences == 2031  # 3 per cluster, de-duplicated
    assert by_metric["stereoset.lms"].scoring.sequences == 0  # the same sentences
    assert by_metric["bbq.accuracy_disambig"].scoring.sequences == 300 * 3  # 20 per subgroup
    assert by_metric["winogender.accuracy"].scoring.sequences == 720 * 2
    # 100 pairs of each of the five RedditBias dimensions, two sentences each, scored once.
    assert by_metric["reddit_bias.biased_preferred"].scoring.sequences == 5 * 100 * 2
    assert by_metric["reddit_bias.effect_size"].scoring.sequences == 0
    generation = by_metric["bold_generation.sentiment"].scoring
    assert (generation.prompts, generation.max_generated_tokens) == (129, 129 * 20)
    assert cost.models == 4


def test_max_examples_caps_each_subgroup(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(HEAD + '[[checks]]\nmetric = "crows_pairs.stereotype_score"\nmax_examples = 10\ntolerance = 0.1\n')
    cost = estimate(load_spec(spec))
    assert cost.checks[0].examples == 90  # 9 bias types, each with more than 10 pairs
    assert cost.checks[0].scoring.sequences == 180


def test_hub_data_is_a_note_not_an_error(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text(
        HEAD + '[[checks]]\nmetric = "crows_pairs.stereotype_score"\n'
        'data = { hub = "jannalu/crows_pairs_multilingual", config = "english" }\ntolerance = 0.1\n'
    )
    assert cli.main(["validate", str(spec)]) == 0
    out = capsys.readouterr().out
    assert "  note: crows_pairs.stereotype_score: hub data set jannalu/crows_pairs_multilingual " in out
    assert "(downloaded at run time)" in out


def validate_on_local_pairs(tmp_path, capsys, csv: str, check_extra: str = "") -> tuple[int, str]:
    (tmp_path / "pairs.csv").write_text(csv)
    spec = tmp_path / "s.toml"
    spec.write_text(
        HEAD + '[[checks]]\nmetric = "crows_pairs.stereotype_score"\ndata = { path = "pairs.csv" }\n'
        "tolerance = 0.1\n" + check_extra
    )
    code = cli.main(["validate", str(spec)])
    return code, capsys.readouterr().err


def test_unreadable_local_data_fails_at_the_check(tmp_path, capsys):
    code, err = validate_on_local_pairs(tmp_path, capsys, "sent_more,bias_type\nx,gender\n")
    assert code == 1
    assert "s.toml:8:1: checks[0].data: its data cannot be read: " in err
    assert "has no column(s) sent_less" in err


def test_subgroup_missing_from_local_data_is_located(tmp_path, capsys):
    code, err = validate_on_local_pairs(
        tmp_path, capsys, "sent_more,sent_less,bias_type\na,b,gender\n", "subgroups = { gendr = 0.2 }\n"
    )
    assert code == 1
    assert "checks[0].subgroups.gendr: unknown subgroup 'gendr' for crows_pairs.stereotype_score " in err
    assert "(did you mean 'gender'?)" in err


def test_k_samples_per_prompt_are_counted(tmp_path, capsys):
    data = ROOT / "tests" / "data" / "real_toxicity_prompts_handmade.jsonl"
    spec = tmp_path / "s.toml"
    spec.write_text(
        HEAD + '[[checks]]\n'
        'metric = "real_toxicity_prompts.expected_max_toxicity"\n'
        f'data = {{ path = "{data}" }}\nmax_examples = 5\nscorer = "profanity_check"\ntolerance = 0.1\n'
    )
    cost = estimate(load_spec(spec))
    (check,) = cost.checks
    # 5 challenging and 5 other prompts, each continued k = 25 times (the paper's default),
    # every sample in its own generate call (one batch of the default 16).
    assert check.examples == 10
    assert (check.scoring.prompts, check.scoring.generate_calls) == (250, 25)
    assert check.scoring.max_generated_tokens == 250 * 20
    assert cli.main(["validate", str(spec)]) == 0
    out = capsys.readouterr().out
    assert "10 examples, 250 continuations generated in 25 generate calls, at most 5,000 new tokens" in out


def test_honest_and_discrim_eval_estimates(tmp_path, capsys):
    (tmp_path / "hurtlex_EN.tsv").write_text("id\tpos\tcategory\tstereotype\tlemma\tlevel\nEN1\tn\tre\tno\tthief\tconservative\n")
    data = ROOT / "tests" / "data" / "discrim_eval_explicit.jsonl"
    spec = tmp_path / "s.toml"
    spec.write_text(
        HEAD + '[[checks]]\nmetric = "honest.hurtful_share"\nmax_examples = 10\ntolerance = 0.05\n'
        'scorer = { name = "hurtlex", options = { path = "hurtlex_EN.tsv" } }\n'
        f'[[checks]]\nmetric = "discrim_eval.discrimination_score"\ndata = {{ path = "{data}" }}\ntolerance = 0.1\n'
    )
    assert cli.main(["validate", str(spec)]) == 0
    out = capsys.readouterr().out.splitlines()
    # 10 templates in each of HONEST's 10 categories, each continued k = 5 times (the default).
    assert out[1].startswith("  honest.hurtful_share: 100 examples, 500 continuations generated in ")
    assert out[1].endswith("at most 5,000 new tokens")
    # 2 questions x 6 groups; 54 fillings, each asked with the four answers.
    assert out[2].startswith("  discrim_eval.discrimination_score: 12 examples, 216 distinct sequences scored")


def test_malformed_discrim_eval_file_fails_at_the_check(tmp_path, capsys):
    (tmp_path / "d.jsonl").write_text('{"filled_template": "x", "decision_question_id": 0}\n')
    spec = tmp_path / "s.toml"
    spec.write_text(
        HEAD + '[[checks]]\nmetric = "discrim_eval.discrimination_score"\ndata = { path = "d.jsonl" }\ntolerance = 0.1\n'
    )
    assert cli.main(["validate", str(spec)]) == 1
    err = capsys.readouterr().err
    assert "s.toml:8:1: checks[0].data: its data cannot be read: " in err
    assert "d.jsonl: line 1 has no field(s) age, gender, race, fill_type" in err


def validate_dialect_pairs(tmp_path, capsys, data: str) -> tuple[int, str, str]:
    spec = tmp_path / "s.toml"
    spec.write_text(HEAD + '[[checks]]\nmetric = "dialect_pairs.log_perplexity_gap"\n' + data + "tolerance = 0.1\n")
    code = cli.main(["validate", str(spec)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_dialect_pairs_need_a_readable_data_path(tmp_path, capsys):
    code, _, err = validate_dialect_pairs(tmp_path, capsys, "")
    assert code == 1
    assert "s.toml:6:1: checks[0]: dialect_pairs.log_perplexity_gap has no built-in data" in err
    (tmp_path / "pairs.csv").write_text("text_a,text_b,variety_a,variety_b\nx,y,AAE,SAE\nz,,AAE,SAE\n")
    code, _, err = validate_dialect_pairs(tmp_path, capsys, 'data = { path = "pairs.csv" }\n')
    assert code == 1
    assert "checks[0].data: its data cannot be read: " in err
    assert "pairs.csv: line 3: text_b must be a non-empty string" in err


def test_dialect_pairs_example_spec_costs_two_sentences_a_pair(capsys):
    assert cli.main(["validate", str(SPECS / "examples" / "dialect-pairs.toml")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("  dialect_pairs.log_perplexity_gap: 12 examples, 24 distinct sequences")
