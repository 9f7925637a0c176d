"""Progress bars: shown on a terminal, silent in CI, under pytest's capture and in pipes."""

from __future__ import annotations

import io
import logging
import os
import sys
import textwrap
from pathlib import Path

import pytest

from engine import progress
from engine.progress import ProgressBars, shows_bars
from transformers.utils import logging as transformers_logging

from engine.run import GateRun
from engine.spec.loader import load_spec
from engine.store import ResultStore


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class ClosedTerminal(FakeTerminal):
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


@pytest.mark.parametrize(
    "stream, env, expected",
    [
        (FakeTerminal(), {}, True),
        (FakeTerminal(), {"CI": "false"}, True),
        (FakeTerminal(), {"CI": "0"}, True),
        (FakeTerminal(), {"CI": "true"}, False),  # CI services that give jobs a pseudo-terminal
        (FakeTerminal(), {"CI": "1"}, False),
        (io.StringIO(), {}, False),  # a pipe or a log file
        (ClosedTerminal(), {}, False),
        (object(), {}, False),
    ],
)
def test_bars_only_on_a_terminal_outside_ci(stream, env, expected):
    assert shows_bars(stream, env) is expected


def test_pytest_capture_is_not_a_terminal():
    # This test runs under pytest's default capture: stderr is a capture buffer.
    if sys.stderr.isatty():
        pytest.skip("run with -s on a terminal: stderr is not captured")
    assert not shows_bars(sys.stderr, {})


def test_a_terminal_gets_a_bar_that_is_erased_when_the_stage_ends():
    terminal = FakeTerminal()
    bars = ProgressBars(terminal, env={})
    bars("crows_pairs.stereotype_score", 3, 10)
    drawn = terminal.getvalue()
    assert "crows_pairs.stereotype_score" in drawn and "3/10" in drawn
    bars("crows_pairs.stereotype_score", 10, 10)
    # leave=False: the line is blanked and the cursor returned to its start.
    assert terminal.getvalue().endswith("\r")


def test_a_stage_starting_inside_another_gets_its_own_bar():
    terminal = FakeTerminal()
    bars = ProgressBars(terminal, env={})
    bars("bbq.bias_ambiguous", 1, 4)
    bars("convert builtin:smollm2-135m", 5, 30)  # the model is loaded at the first uncached batch
    bars("convert builtin:smollm2-135m", 30, 30)
    bars("bbq.bias_ambiguous", 2, 4)
    assert "5/30" in terminal.getvalue() and "2/4" in terminal.getvalue()


def test_under_pytest_s_the_first_bar_starts_on_a_new_line():
    terminal = FakeTerminal()
    terminal.write("spec.toml::tiny / identity / crows / gender ")  # pytest's half-written line
    bars = ProgressBars(terminal, env={"PYTEST_CURRENT_TEST": "spec.toml::gender (setup)"})
    bars("crows_pairs.stereotype_score", 1, 2)
    bars("crows_pairs.stereotype_score", 2, 2)
    first_line = terminal.getvalue().split("\n")[0]
    assert first_line == "spec.toml::tiny / identity / crows / gender "


def test_ci_prints_nothing_and_logs_one_line_per_finished_stage(capsys, caplog):
    bars = ProgressBars(env={"CI": "true"})  # stderr at the time: pytest's capture
    with caplog.at_level(logging.INFO, logger="fairgate.progress"):
        for done in range(1, 6):
            bars("stereoset.stereotype_score", done, 5)
        bars("bold_generation.toxicity", 1, 3)
        bars.close()
    assert capsys.readouterr() == ("", "")
    assert [r.getMessage().split(" in ")[0] for r in caplog.records] == [
        "stereoset.stereotype_score: 5 of 5 done"
    ]


def test_not_a_terminal_prints_nothing(capsys):
    progress.report("holistic_bias.descriptor_gap", 1, 2)
    progress.report("holistic_bias.descriptor_gap", 2, 2)
    assert capsys.readouterr() == ("", "")


@pytest.fixture
def transformers_bars():
    before = transformers_logging.is_progress_bar_enabled()
    transformers_logging.enable_progress_bar()
    yield
    (transformers_logging.enable_progress_bar if before else transformers_logging.disable_progress_bar)()


def test_library_bars_are_turned_off_where_ours_are(transformers_bars):
    progress.quiet_libraries(FakeTerminal(), env={})
    assert transformers_logging.is_progress_bar_enabled()
    progress.quiet_libraries(FakeTerminal(), env={"CI": "true"})
    assert not transformers_logging.is_progress_bar_enabled()


@pytest.mark.real_model
def test_a_real_gate_run_draws_a_bar_per_check_on_a_terminal(tmp_path):
    spec = tmp_path / "real.toml"
    spec.write_text(
        textwrap.dedent(
            """
            name = "progress"
            [baseline]
            model = "builtin:smollm2-135m-instruct"
            [[variants]]
            name = "identical"
            [[checks]]
            metric = "crows_pairs.stereotype_score"
            max_examples = 2
            tolerance = 1.0
            """
        )
    )
    terminal = FakeTerminal()
    bars = ProgressBars(terminal, env={})
    reported: list[tuple[str, int, int]] = []

    def record(stage: str, done: int, total: int) -> None:
        reported.append((stage, done, total))
        bars(stage, done, total)

    store = ResultStore(Path(os.environ["FAIRGATE_CACHE"]) / "results")
    GateRun(load_spec(spec), store, record).evaluate_variant("identical")
    stages = {stage for stage, _, _ in reported}
    assert stages == {"baseline: crows_pairs.stereotype_score", "identical: crows_pairs.stereotype_score"}
    # Both models (baseline, then the variant) run their stage to its end.
    assert sum(done == total for _, done, total in reported) == 2
    assert "identical: crows_pairs.stereotype_score" in terminal.getvalue()


@pytest.mark.real_model
def test_a_builtin_conversion_reports_its_stage(tmp_path):
    from engine.models import builtin

    reported: list[tuple[str, int, int]] = []
    builtin.checkpoint(
        "smollm2-135m-instruct", cache_root=tmp_path, progress=lambda *report: reported.append(report)
    )
    stage = "convert builtin:smollm2-135m-instruct"
    assert reported == [(stage, 0, 3), (stage, 1, 3), (stage, 2, 3), (stage, 3, 3)]
