"""A run killed half-way loses nothing: the restart reuses every stored batch, bit for bit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from engine.report.run_dir import load_results

SPEC = """
name = "resume"
[baseline]
model = "builtin:smollm2-135m-instruct"
batch_size = 4
[[variants]]
name = "hqq-4bit"
quantization = { method = "hqq", nbits = 4, group_size = 64 }
[[checks]]
metric = "crows_pairs.stereotype_score"
max_examples = 6
tolerance = 1.0
"""


def fairgate_run(spec: Path, cache: Path, reports: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "run", str(spec), f"--cache={cache}", f"--reports={reports}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "FAIRGATE_CACHE": str(cache)},
        start_new_session=True,
    )


def stored_batches(cache: Path) -> set[str]:
    return {p.name for p in (cache / "results" / "ll").glob("*/*.json")}


def baseline_entry(reports: Path) -> dict:
    return load_results(reports / "latest")["specs"]["resume"]["models"]


@pytest.mark.real_model
def test_killed_run_resumes_from_every_stored_batch(tmp_path, real_checkpoint):
    spec = tmp_path / "resume.toml"
    spec.write_text(textwrap.dedent(SPEC))
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "models").symlink_to(real_checkpoint.parent, target_is_directory=True)

    first = fairgate_run(spec, cache, tmp_path / "killed")
    deadline = time.monotonic() + 300
    while len(stored_batches(cache)) < 6 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    before = stored_batches(cache)
    assert 6 <= len(before), "the first run was not killed half-way"

    second = fairgate_run(spec, cache, tmp_path / "resumed")
    assert second.wait() == 0, second.stdout.read().decode()
    models = baseline_entry(tmp_path / "resumed")
    reused = models["baseline"]["cache_hits"] + models["hqq-4bit"]["cache_hits"]
    assert reused == len(before), "every batch stored before the kill is read, none recomputed"

    fresh_cache = tmp_path / "fresh"
    fresh_cache.mkdir()
    (fresh_cache / "models").symlink_to(real_checkpoint.parent, target_is_directory=True)
    third = fairgate_run(spec, fresh_cache, tmp_path / "uninterrupted")
    assert third.wait() == 0
    uninterrupted = baseline_entry(tmp_path / "uninterrupted")
    for label in ("baseline", "hqq-4bit"):
        assert models[label]["checks"] == uninterrupted[label]["checks"]
        resumed_work = models[label]["batches_computed"] + models[label]["cache_hits"]
        assert resumed_work == uninterrupted[label]["batches_computed"]
