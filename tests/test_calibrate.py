"""`fairgate calibrate`: tolerances suggested from the baseline's sampling spread."""

from __future__ import annotations

import math

import pytest

import engine.run
from engine import calibrate, cli
from tests.constructed import constructed_evaluation, spec_text, write_pairs


def test_round_up_to_two_significant_digits():
    assert calibrate.round_up(0.1234) == 0.13
    assert calibrate.round_up(0.12) == 0.12
    assert calibrate.round_up(7.01) == 7.1
    assert math.isnan(calibrate.round_up(math.nan))


def test_examples_needed_scale_with_the_square_of_the_spread():
    assert calibrate.examples_needed(100, 0.1, 0.05) == 400
    assert calibrate.examples_needed(100, 0.1, 0.2) == 25
    assert calibrate.examples_needed(100, math.nan, 0.2) is None
    assert calibrate.examples_needed(100, 0.1, 0.0) is None


def test_calibrate_prints_spreads_and_leaves_the_spec_alone(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(engine.run, "evaluate_model", constructed_evaluation)
    write_pairs(tmp_path / "pairs.csv")
    spec = tmp_path / "calibrate.toml"
    spec.write_text(spec_text("calibrate"))
    before = spec.read_bytes()
    assert cli.main(["calibrate", str(spec), "--cache", str(tmp_path / "cache")]) == 0
    assert spec.read_bytes() == before
    out = capsys.readouterr().out
    rows = {line.split()[1]: line.split() for line in out.splitlines() if line.startswith("crows_pairs")}
    assert set(rows) == {"age", "gender", "religion", "overall"}
    # age: 20 pairs at 0.5, a 95% interval of about 0.5 +/- 0.2 -> about 125 pairs for 0.08.
    n, value, spread, tolerance, suggested, needed = rows["age"][2:8]
    assert (int(n), float(value), float(tolerance)) == (20, 0.5, 0.08)
    assert float(spread) == pytest.approx(0.2, abs=0.03)
    assert float(suggested) >= float(spread)
    assert int(needed) == pytest.approx(125, rel=0.3)
    assert rows["age"][-1] == "spread" and rows["religion"][-1] != "spread"


def test_examples_needed_for_a_tolerance_given_on_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(engine.run, "evaluate_model", constructed_evaluation)
    write_pairs(tmp_path / "pairs.csv")
    spec = tmp_path / "calibrate.toml"
    spec.write_text(spec_text("calibrate"))
    args = ["calibrate", str(spec), "--tolerance", "0.02", "--cache", str(tmp_path / "cache")]
    assert cli.main(args) == 0
    rows = {
        line.split()[1]: line.split()
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("crows_pairs")
    }
    # gender: 300 pairs, spread about 0.055 -> about 300 x (0.055 / 0.02)^2 = 2,270 pairs.
    assert float(rows["gender"][5]) == 0.02
    assert int(rows["gender"][7]) == pytest.approx(300 * (float(rows["gender"][4]) / 0.02) ** 2, rel=0.02)
