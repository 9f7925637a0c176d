"""The results store in object storage, against a local S3-compatible server (moto): values
round-trip exactly, a store that cannot be used stops a run before any model loads, and
locks stay on the local machine. (Concurrent writers are in tests/test_store.py, the
distributed flow over it in tests/test_distributed_run.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import fsspec
import pytest

from engine.object_store import PROBE, StoreLocationInvalid, StoreUnavailable
from engine.store import ResultStore

ROOT = Path(__file__).resolve().parents[1]
KEY = "ll/" + "cd" * 32


def test_values_round_trip_exactly_under_the_key_layout_of_a_directory(s3_bucket, tmp_path):
    store = ResultStore(f"{s3_bucket}/results", cache_root=tmp_path)
    assert store.get(KEY) is None
    value = {"ll": [-140.86531066894531, 1e-300, -0.0], "greedy": [True, False], "n": 3}
    store.put(KEY, value)
    assert store.get(KEY) == value and ResultStore(f"{s3_bucket}/results/", cache_root=tmp_path).get(KEY) == value
    bucket = s3_bucket.removeprefix("s3://")
    keys = sorted(fsspec.filesystem("s3").find(f"{bucket}/results"))
    assert keys == [f"{bucket}/results/{PROBE}", f"{bucket}/results/ll/cd/{'cd' * 32}.json"]
    # The same layout as a directory store: a store can move between the two by copying.
    local = ResultStore(tmp_path / "local")
    local.put(KEY, value)
    assert (tmp_path / "local" / "ll" / "cd" / f"{'cd' * 32}.json").is_file()


def test_locks_of_an_object_store_are_in_the_local_cache(s3_bucket, tmp_path):
    store = ResultStore(f"{s3_bucket}/results", cache_root=tmp_path / "cache")
    with store.exclusive("baseline-x"):
        assert (tmp_path / "cache" / "locks" / "baseline-x.lock").is_file()


def test_a_protocol_whose_writes_are_not_atomic_is_refused():
    with pytest.raises(StoreLocationInvalid, match=r"ftp://host/results: protocol 'ftp' .* expected a directory or a URL of s3"):
        ResultStore("ftp://host/results")


def test_a_missing_bucket_is_refused_when_the_store_opens(s3_endpoint, tmp_path):
    with pytest.raises(StoreUnavailable, match=r"results store s3://no-such-bucket/results: writing .fairgate-store failed"):
        ResultStore("s3://no-such-bucket/results", cache_root=tmp_path)


def fairgate(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *map(str, args)],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300,
    )


@pytest.mark.parametrize(
    ("store", "code", "message"),
    [
        ("ftp://host/results", 2, "protocol 'ftp' is not one whose writes replace a file whole"),
        ("s3://no-such-bucket/results", 3, "ERROR results store s3://no-such-bucket/results: writing .fairgate-store failed"),
    ],
)
def test_fairgate_run_stops_before_loading_a_model(s3_endpoint, tmp_path, tiny_checkpoint, store, code, message):
    spec = tmp_path / "spec.toml"
    spec.write_text(
        f'name = "s"\n[baseline]\nmodel = "{tiny_checkpoint}"\n[[variants]]\nname = "same"\n'
        '[[checks]]\nmetric = "crows_pairs.stereotype_score"\nmax_examples = 2\ntolerance = 0.2\n'
    )
    done = fairgate("run", spec, f"--store={store}", f"--cache={tmp_path / 'cache'}", f"--reports={tmp_path / 'reports'}")
    assert done.returncode == code, done.stdout + done.stderr
    assert message in done.stderr
    assert not (tmp_path / "reports").exists() and not (tmp_path / "cache" / "models").exists()
