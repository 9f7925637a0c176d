"""`fairgate list`: what a spec can name, from the registries the loader reads."""

from __future__ import annotations

from engine import cli
from engine.datasets.crows_pairs import BIAS_TYPES
from engine.metrics.registry import get_metric, metric_names


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["list", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_metrics_lists_every_registered_metric_with_its_description(capsys):
    code, out, _ = run(capsys, "metrics")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(metric_names())
    crows = next(line for line in lines if line.startswith("crows_pairs.stereotype_score "))
    assert get_metric("crows_pairs.stereotype_score").description in crows
    assert "[crows_pairs; distance from 0.5 is worse]" in crows
    toxicity = next(line for line in lines if line.startswith("bold_generation.toxicity "))
    assert "needs scorer: detoxify or profanity_check" in toxicity


def test_datasets_names_their_readers_and_subgroup_counts(capsys):
    code, out, _ = run(capsys, "datasets")
    assert code == 0
    crows = next(line for line in out.splitlines() if line.startswith("crows_pairs "))
    assert "CrowS-Pairs (Nangia et al., 2020): minimal sentence pairs" in crows
    assert "[9 subgroups; read by crows_pairs.stereotype_score]" in crows


def test_subgroups_of_a_metric_and_of_a_data_set(capsys):
    code, out, _ = run(capsys, "subgroups", "crows_pairs.stereotype_score")
    assert code == 0
    assert out.splitlines()[:-1] == list(BIAS_TYPES)
    assert out.splitlines()[-1].startswith("overall")
    assert run(capsys, "subgroups", "crows_pairs")[1] == out


def test_subgroups_of_data_without_an_offline_copy(capsys):
    out = run(capsys, "subgroups", "discrim_eval.discrimination_score")[1].splitlines()
    # DiscrimEval's groups against the baseline subject, as its published data fills them.
    assert out[:3] == ["age/older", "age/younger", "gender/female"]
    # the data format fixes them: listed without a file
    assert out[-2:] == ["race/native american", "overall  (every example of the check together)"]
    assert run(capsys, "subgroups", "multiple_choice.accuracy")[1].splitlines()[0] == (
        "(the `subgroup` values of the check's own file)"
    )


def test_subgroups_of_everything_one_line_per_data_set(capsys):
    code, out, _ = run(capsys, "subgroups")
    assert code == 0
    assert f"crows_pairs: {', '.join(BIAS_TYPES)}, overall" in out.splitlines()


def test_misspelled_metric_gets_a_did_you_mean(capsys):
    code, out, err = run(capsys, "subgroups", "crows_pairs.stereotype_scor")
    assert code == 1
    assert out == ""
    assert "unknown metric or data set 'crows_pairs.stereotype_scor' " in err
    assert "(did you mean 'crows_pairs.stereotype_score'?)" in err


def test_only_subgroups_takes_a_name(capsys):
    code, _, err = run(capsys, "metrics", "crows_pairs")
    assert code == 2
    assert "takes no name" in err


def test_quantization_shows_every_config_and_field_from_the_models(capsys):
    code, out, _ = run(capsys, "quantization")
    assert code == 0
    assert '  method = "hqq"' in out
    assert "  nbits = 1|2|3|4|8" in out
    assert "  group_size = integer (default 64) (optional)" in out
    assert '  quant_type = "nf4"|"fp4" (default "nf4") (optional)' in out
    assert "  bits = 8" in out


def test_scorers_are_the_ones_a_check_can_name(capsys):
    code, out, _ = run(capsys, "scorers")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert names == ["detoxify", "hurtlex", "profanity_check"]
    assert "checkpoint" in out


def test_subgroups_fixed_by_a_format_are_listed_without_a_file(capsys):
    assert cli.main(["list", "subgroups", "real_toxicity_prompts.toxicity_probability"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [
        "challenging", "non-challenging", "nontoxic-prompt", "toxic-prompt", "overall"
    ]
