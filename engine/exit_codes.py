"""What `fairgate run`'s exit status says, so that a CI step can tell "the build regressed"
from "the gate broke". pytest keeps its own exit codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class ExitCode(IntEnum):
    PASSED = 0
    REGRESSION = 1
    INVALID = 2
    NOT_MEASURED = 3

    @property
    def label(self) -> str:
        return _MEANINGS[self][0]

    @property
    def meaning(self) -> str:
        return _MEANINGS[self][1]


_MEANINGS = {
    ExitCode.PASSED: ("passed", "every check of every variant passed"),
    ExitCode.REGRESSION: (
        "a regression",
        "some check worsened past its tolerance, or a variant's own outputs could not be "
        "scored (NaN, empty), or its compression is broken",
    ),
    ExitCode.INVALID: ("invalid spec or usage", "a spec or an option is wrong; nothing was run"),
    ExitCode.NOT_MEASURED: (
        "the gate could not measure",
        "a model, data set or backend failed to load or run; takes precedence over 1 (the "
        "output says when both happened)",
    ),
}


def exit_code_table() -> str:
    """The codes and their meanings, one per line, for `fairgate run --help`."""
    return "\n".join(f"  {code.value}  {code.label}: {code.meaning}" for code in ExitCode)


@dataclass
class RunTally:
    """What a run found, variant by variant, and the exit code it adds up to."""

    failed: int = 0  # failed verdicts
    passed: int = 0
    broken: list[str] = field(default_factory=list)  # variants refused as broken compressions
    unmeasured: list[str] = field(default_factory=list)  # what could not be evaluated, and why

    @property
    def regressed(self) -> bool:
        return bool(self.failed or self.broken)

    @property
    def code(self) -> ExitCode:
        if self.unmeasured:
            return ExitCode.NOT_MEASURED
        return ExitCode.REGRESSION if self.regressed else ExitCode.PASSED

    def summary(self, report: str) -> str:
        """The run's closing lines: the counts, where the report is, and the exit code."""
        parts = [f"{self.failed} failed, {self.passed} passed"]
        if self.broken:
            parts.append(f"{len(self.broken)} variant(s) refused as broken")
        if self.unmeasured:
            parts.append(f"{len(self.unmeasured)} could not be evaluated")
        line = "; ".join(parts + [report])
        code = self.code
        also = " (a regression was found too)" if code is ExitCode.NOT_MEASURED and self.regressed else ""
        return f"{line}\nexit {code.value}: {code.label}{also}"
