"""`make quick`: specs/examples/quick.toml through the CLI, on the real shipped model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine import cli
from engine.exit_codes import ExitCode
from engine.report.run_dir import load_results

ROOT = Path(__file__).resolve().parents[1]
QUICK = ROOT / "specs" / "examples" / "quick.toml"


def test_make_quick_runs_the_quick_spec():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^quick: \$\(STAMP\)\n\t\$\(BIN\)/fairgate run specs/examples/quick\.toml$", makefile, re.M)


@pytest.mark.real_model
def test_the_quick_gate_passes_the_4bit_build_and_writes_its_report(tmp_path, capsys):
    assert cli.main(["run", str(QUICK), f"--reports={tmp_path}"]) == ExitCode.PASSED
    out = capsys.readouterr().out
    assert "0 failed, 10 passed; report in " in out and "exit 0: passed" in out
    results = load_results(tmp_path / "latest")  # with every example's records
    assert results["totals"]["failed"] == 0 and results["totals"]["passed"] == 10
    models = results["specs"]["smollm2-135m-quick"]["models"]
    assert set(models) == {"baseline", "hqq-4bit-g64"}
    examples = models["baseline"]["checks"]["crows_pairs.stereotype_score"]["examples"]
    assert len(examples) == 270  # 30 pairs of each of the 9 bias types
    assert (tmp_path / "latest" / "summary.md").exists() and (tmp_path / "latest" / "report.html").exists()
