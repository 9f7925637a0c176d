"""Progress of the long stages (model conversion, quantization, scoring, generation).

On a terminal each running stage gets a tqdm bar on stderr; bars are erased when their stage
finishes (`leave=False`), so `fairgate run` output stays readable. Under `pytest -s` a test's
item line is half written when the gate's setup starts scoring (pytest sets
PYTEST_CURRENT_TEST then); the first bar starts on a new line, so erasing it cannot wipe that
line, and pytest's PASSED/FAILED lands on the emptied line, as after any output under `-s`.
Anywhere else nothing is printed: not a terminal (a CI log, a pipe, pytest capturing stderr)
or a `CI` variable set (CI services set it; some give jobs a pseudo-terminal). A finished
stage is logged at INFO on the `fairgate.progress` logger either way, which is silent
unless someone configures logging (e.g. `pytest --log-cli-level=INFO`).

The decision is made when a stage starts, not when the reporter is built: pytest swaps
`sys.stderr` between collection, each test and `-s`, and a GateRun outlives those swaps.

`report(stage, done, total)` is the `Progress` callback `GateRun` takes, and passes on to
every long step (scoring, a builtin model's conversion): stages are told apart by name, so
a conversion that starts while another stage is under way gets its own bar below it.

transformers draws bars of its own (e.g. "Loading weights"), even into a CI log or pytest's
captured stderr; `quiet_libraries()`, called by the run context as it readies each spec,
turns them off by the same decision.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Mapping
from typing import TextIO

from tqdm import tqdm
from transformers.utils import logging as transformers_logging

log = logging.getLogger("fairgate.progress")

_FALSE = ("", "0", "false", "no")


def in_ci(env: Mapping[str, str]) -> bool:
    return env.get("CI", "").strip().lower() not in _FALSE


def shows_bars(stream: TextIO, env: Mapping[str, str]) -> bool:
    """Bars only on an interactive terminal outside CI."""
    if in_ci(env):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a stream closed under us
        return False


def quiet_libraries(stream: TextIO | None = None, env: Mapping[str, str] | None = None) -> None:
    """Turn transformers' own bars off where ours are off; never on (a user's choice holds)."""
    if not shows_bars(sys.stderr if stream is None else stream, os.environ if env is None else env):
        transformers_logging.disable_progress_bar()


class ProgressBars:
    """A `Progress` callback, (stage, done, total): one bar per unfinished stage."""

    def __init__(self, stream: TextIO | None = None, env: Mapping[str, str] | None = None) -> None:
        self._stream = stream  # None: whatever sys.stderr is when a stage starts
        self._env = os.environ if env is None else env
        self._bars: dict[str, tqdm | None] = {}  # None: a stage followed without a bar
        self._started: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self._bars:
            self._start(stage, total)
        bar = self._bars[stage]
        if bar is not None:
            bar.total = total
            bar.update(done - bar.n)
        if done >= total:
            self._finish(stage, done, total)

    def _start(self, stage: str, total: int) -> None:
        stream = self._stream if self._stream is not None else sys.stderr
        self._started[stage] = time.perf_counter()
        shown = shows_bars(stream, self._env)
        if shown and "PYTEST_CURRENT_TEST" in self._env and not any(self._bars.values()):
            stream.write("\n")
        self._bars[stage] = (
            tqdm(
                total=total,
                desc=stage,
                file=stream,
                leave=False,
                position=len(self._bars),
                dynamic_ncols=True,
                unit="item",
                mininterval=0,  # reports come once per batch, far apart: draw each one
            )
            if shown
            else None
        )

    def _finish(self, stage: str, done: int, total: int) -> None:
        bar = self._bars.pop(stage)
        if bar is not None:
            bar.close()
        seconds = time.perf_counter() - self._started.pop(stage)
        log.info("%s: %d of %d done in %.1f s", stage, done, total, seconds)

    def close(self) -> None:
        """Erase the bars of stages that never finished (an error stopped them)."""
        for stage in list(self._bars):
            bar = self._bars.pop(stage)
            if bar is not None:
                bar.close()
        self._started.clear()


_BARS = ProgressBars()


def report(stage: str, done: int, total: int) -> None:
    """Report `done` of `total` items of a stage; the stage ends when done reaches total."""
    _BARS(stage, done, total)


def close() -> None:
    _BARS.close()
