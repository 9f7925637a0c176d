"""Paired statistics on the real shipped model and CrowS-Pairs: HQQ 2-bit against itself."""

from __future__ import annotations

import math
import textwrap

import pytest
from scipy.stats import binomtest

from engine import cli
from tests.helpers import run_real_gate

CHECKS = """
[[checks]]
metric = "crows_pairs.stereotype_score"
max_examples = 12
tolerance = 0.05
"""


@pytest.mark.real_model
def test_intervals_flips_and_power_on_the_real_model(tmp_path):
    first = run_real_gate(tmp_path, CHECKS)
    for verdict in first["identical"].values():
        assert verdict.worsening_interval == (0.0, 0.0), verdict.message()
        assert verdict.flips == {"up": 0, "down": 0, "p_value": 1.0}
    compressed = first["hqq-2bit"]
    flipped = 0
    for verdict in compressed.values():
        low, high = verdict.worsening_interval
        assert low <= verdict.worsening <= high, verdict.message()
        up, down = verdict.flips["up"], verdict.flips["down"]
        expected = binomtest(up, up + down).pvalue if up + down else 1.0
        assert verdict.flips["p_value"] == pytest.approx(expected)
        # 12 pairs per bias type cannot resolve a 0.05 worsening; all 108 together neither.
        assert verdict.detectable > 0.05 and verdict.warnings, verdict.message()
        flipped += up + down
    assert flipped > 0
    overall = compressed[("crows_pairs.stereotype_score", "overall")]
    assert overall.n == 108 and 0 < overall.detectable < 0.15
    again = run_real_gate(tmp_path, CHECKS)
    for name, verdicts in first.items():
        for key, verdict in verdicts.items():
            assert again[name][key].message() == verdict.message()
            assert again[name][key].worsening_interval == verdict.worsening_interval


@pytest.mark.real_model
def test_calibrate_on_the_real_model(tmp_path, capsys):
    spec = tmp_path / "calibrate.toml"
    spec.write_text(
        textwrap.dedent(
            """
            name = "calibrate"
            [baseline]
            model = "builtin:smollm2-135m-instruct"
            [[variants]]
            name = "hqq-4bit"
            quantization = { method = "hqq", nbits = 4, group_size = 64 }
            """
        )
        + CHECKS
    )
    assert cli.main(["calibrate", str(spec)]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("crows")]
    assert len(rows) == 10  # 9 bias types and overall
    for row in rows:
        n, spread = int(row[2]), float(row[4])
        assert n == (108 if row[1] == "overall" else 12)
        assert math.isfinite(spread) and 0 < spread < 0.5
