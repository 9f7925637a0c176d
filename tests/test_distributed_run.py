"""One spec spread over processes as a CI matrix spreads it: a baseline-only job, then one job
per variant in parallel, then `fairgate merge`; verdicts and values equal those of one
`fairgate run` of the whole spec on a cache of its own. The jobs share either one cache
directory (shared storage) or only an object store on a local S3-compatible server, each with
a cache of its own (machines that share no file system)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Callable

import fsspec
import pytest

from engine.report import html, summary
from engine.report.merge import VOLATILE_DESCRIPTION, VOLATILE_MODEL, VOLATILE_RUN, VOLATILE_SPEC, comparable
from engine.report.run_dir import load_results

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 900

TINY_SPEC = """
name = "spread"
[baseline]
model = "{model}"
batch_size = 4
[[variants]]
name = "same"
[[variants]]
name = "int8"
quantization = {{ method = "dynamic-int8" }}
[[checks]]
metric = "crows_pairs.stereotype_score"
max_examples = 4
tolerance = 0.2
"""

REAL_SPEC = """
name = "spread-real"
[baseline]
model = "builtin:smollm2-135m-instruct"
batch_size = 8
[[variants]]
name = "identical"
[[variants]]
name = "hqq-4bit"
quantization = { method = "hqq", nbits = 4, group_size = 64 }
[[checks]]
metric = "crows_pairs.stereotype_score"
max_examples = 3
tolerance = 0.2
"""


def fairgate(*args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def finished(job: subprocess.Popen, expected: set[int]) -> int:
    output, _ = job.communicate(timeout=TIMEOUT)
    assert job.returncode in expected, output
    return job.returncode


def latest(reports: Path) -> Path:
    return (reports / "latest").resolve()


def distributed(spec: Path, variants: list[str], storage: Callable[[str], list[str]], reports: Path) -> tuple[Path, int]:
    """The matrix: baseline job, variant jobs in parallel, merge job; `storage(job)`: the
    job's cache and store options."""
    finished(fairgate("run", spec, "--baseline-only", *storage("baseline"), f"--reports={reports / 'baseline'}"), {0})
    jobs = [fairgate("run", spec, "--variant", v, *storage(v), f"--reports={reports / v}") for v in variants]
    for job in jobs:
        finished(job, {0, 1})
    runs = [latest(reports / name) for name in ["baseline", *variants]]
    code = finished(fairgate("merge", *runs, f"--reports={reports / 'merged'}"), {0, 1})
    return latest(reports / "merged"), code


def with_volatile_of(results: dict, source: dict) -> dict:
    """`results` with `source`'s values in every field a merge may change."""
    moved = {**results, **{k: source[k] for k in VOLATILE_RUN if k in source}}
    moved.pop("merged_from", None)
    specs = {}
    for name, spec in results["specs"].items():
        other = source["specs"][name]
        models = {
            label: {
                **m,
                **{k: other["models"][label][k] for k in VOLATILE_MODEL},
                "model": {**m["model"], **{k: other["models"][label]["model"][k] for k in VOLATILE_DESCRIPTION if k in other["models"][label]["model"]}},
            }
            for label, m in spec["models"].items()
        }
        specs[name] = {**spec, **{k: other[k] for k in VOLATILE_SPEC}, "models": models}
    return {**moved, "specs": specs}


def assert_same_as_one_run(tmp_path: Path, spec_text: str, variants: list[str], cache_setup=None, store=None) -> dict:
    """Without `store`, the jobs share one cache directory (shared storage); with it (an
    object store's URL), each job has a cache of its own, as on machines that share nothing
    but the store."""
    spec = tmp_path / "spec.toml"
    spec.write_text(textwrap.dedent(spec_text))

    def cache(name: str) -> Path:
        directory = tmp_path / name
        if not directory.exists():
            directory.mkdir()
            if cache_setup:
                cache_setup(directory)
        return directory

    def storage(job: str) -> list[str]:
        if store is None:
            return [f"--cache={cache('shared-cache')}"]
        return [f"--cache={cache(f'machine-{job}')}", f"--store={store}"]

    merged_dir, merged_code = distributed(spec, variants, storage, tmp_path / "matrix")
    single_code = finished(fairgate("run", spec, f"--cache={cache('own-cache')}", f"--reports={tmp_path / 'single'}"), {0, 1})

    baseline_run = load_results(latest(tmp_path / "matrix" / "baseline"))
    (entry,) = baseline_run["specs"].values()
    assert list(entry["models"]) == ["baseline"] and entry["verdicts"] == []
    assert "Baseline only" in (latest(tmp_path / "matrix" / "baseline") / "summary.md").read_text()
    for variant in variants:
        job = load_results(latest(tmp_path / "matrix" / variant))
        baseline = next(iter(job["specs"].values()))["models"]["baseline"]
        assert (baseline["batches_computed"], baseline["weights_loaded"]) == (0, False), (
            "a variant job recomputed the baseline instead of reading the baseline job's"
        )

    merged, single = load_results(merged_dir), load_results(latest(tmp_path / "single"))
    assert merged_code == single_code
    assert comparable(merged) == comparable(single)
    # The views are rendered from the results alone, so they differ only where the volatile
    # fields do: given the merged run's, the single run's results render the merged files.
    moved = with_volatile_of(single, merged)
    assert (merged_dir / "summary.md").read_text() == summary.render(moved)
    assert (merged_dir / "report.html").read_text() == html.render_report(moved)
    fs, root = fsspec.core.url_to_fs(store or str(tmp_path / "shared-cache" / "results"))
    stored = [path for path in fs.find(root) if path.endswith(".json")]
    assert stored and all(json.loads(fs.cat_file(path)) is not None for path in stored)
    return merged


@pytest.mark.parametrize("over", ["shared directory", "object store"])
def test_a_spec_spread_over_parallel_jobs_merges_into_one_run(tmp_path, tiny_checkpoint, request, over):
    store = request.getfixturevalue("s3_bucket") + "/fairgate" if over == "object store" else None
    merged = assert_same_as_one_run(tmp_path, TINY_SPEC.format(model=tiny_checkpoint), ["same", "int8"], store=store)
    verdicts = merged["specs"]["spread"]["verdicts"]
    same = [v for v in verdicts if v["variant"] == "same"]
    assert same and all(v["change"] == 0 and v["passed"] for v in same)
    assert {v["variant"] for v in verdicts} == {"same", "int8"}


@pytest.mark.real_model
@pytest.mark.parametrize("over", ["shared directory", "object store"])
def test_the_shipped_model_spread_over_parallel_jobs_merges_into_one_run(tmp_path, real_checkpoint, request, over):
    def converted_model(cache: Path) -> None:
        (cache / "models").symlink_to(real_checkpoint.parent, target_is_directory=True)

    store = request.getfixturevalue("s3_bucket") + "/fairgate" if over == "object store" else None
    merged = assert_same_as_one_run(tmp_path, REAL_SPEC, ["identical", "hqq-4bit"], converted_model, store)
    verdicts = merged["specs"]["spread-real"]["verdicts"]
    identical = [v for v in verdicts if v["variant"] == "identical"]
    assert identical and all(v["change"] == 0 and v["passed"] for v in identical)
    assert any(v["change"] != 0 for v in verdicts if v["variant"] == "hqq-4bit")
