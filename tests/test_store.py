"""The results store shared by several processes (CI jobs on shared storage or an object
store, xdist workers): files readable as the umask allows, writers of one key never
corrupting it, and work done under the store's lock done once."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from engine.store import ResultStore, atomic_directory, atomic_write_text, current_umask

KEY = "ll/" + "ab" * 32
WRITERS = 4
WRITES = 30


@pytest.fixture
def umask():
    """Set the umask for one test, then restore it."""
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_files_and_directories_get_the_mode_the_umask_allows(tmp_path, umask, mask):
    umask(mask)
    assert current_umask() == mask
    store = ResultStore(tmp_path / "results")
    store.put(KEY, {"x": 1})
    path = next((tmp_path / "results").rglob("*.json"))
    assert mode(path) == 0o666 & ~mask
    assert {mode(d) for d in path.parents if tmp_path in d.parents} == {0o777 & ~mask}
    atomic_write_text(tmp_path / "report" / "summary.md", "text")
    assert mode(tmp_path / "report" / "summary.md") == 0o666 & ~mask


def _write_repeatedly(root: str, cache: str, writer: int) -> None:
    store = ResultStore(root, cache_root=Path(cache))
    for _ in range(WRITES):
        store.put(KEY, {"writer": writer, "payload": [writer] * 20_000})


@pytest.mark.parametrize("where", ["directory", "object store"])
def test_concurrent_writers_of_one_key_never_leave_a_mixed_or_partial_value(tmp_path, request, where):
    root = str(tmp_path / "results") if where == "directory" else request.getfixturevalue("s3_bucket") + "/results"
    # spawn: a forked child would inherit the S3 client's event loop thread half-copied.
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_repeatedly, args=(root, str(tmp_path), i)) for i in range(WRITERS)]
    for p in writers:
        p.start()
    store = ResultStore(root, cache_root=tmp_path)
    seen = set()
    while any(p.is_alive() for p in writers):
        value = store.get(KEY)
        if value is not None:
            assert value["payload"] == [value["writer"]] * 20_000
            seen.add(value["writer"])
    assert [p.exitcode for p in writers] == [0] * WRITERS
    final = store.get(KEY)
    assert final["payload"] == [final["writer"]] * 20_000
    assert seen, "the reader saw no value while the writers ran"
    assert [p.name for p in tmp_path.rglob(".*.tmp")] == [], "a temporary file was left behind"


def _compute_once(root: str, log: str) -> None:
    store = ResultStore(Path(root))
    with store.exclusive("baseline-spec"):
        if store.get(KEY) is None:
            with open(log, "a") as f:
                f.write(f"{os.getpid()}\n")
            store.put(KEY, {"computed_by": os.getpid()})


def test_work_under_the_lock_is_done_by_one_process_and_read_by_the_others(tmp_path):
    log = tmp_path / "computed"
    context = multiprocessing.get_context("fork")
    jobs = [context.Process(target=_compute_once, args=(str(tmp_path / "store"), str(log))) for _ in range(WRITERS)]
    for p in jobs:
        p.start()
    for p in jobs:
        p.join()
    assert [p.exitcode for p in jobs] == [0] * WRITERS
    (computed_by,) = log.read_text().split()
    assert ResultStore(tmp_path / "store").get(KEY) == {"computed_by": int(computed_by)}


@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_a_directory_appears_whole_with_the_mode_the_umask_allows(tmp_path, umask, mask):
    umask(mask)
    target = tmp_path / "models" / "built"
    with atomic_directory(target) as partial:
        (partial / "weights").write_text("w")
        assert not target.exists()
    assert (target / "weights").read_text() == "w"
    assert mode(target) == 0o777 & ~mask
    assert [p.name for p in target.parent.iterdir()] == ["built"]


def test_a_failed_directory_leaves_nothing(tmp_path):
    target = tmp_path / "built"
    with pytest.raises(RuntimeError):
        with atomic_directory(target) as partial:
            (partial / "half").write_text("h")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_the_first_of_two_writers_of_one_directory_is_kept(tmp_path):
    target = tmp_path / "built"
    with atomic_directory(target) as first, atomic_directory(target) as second:
        (first / "who").write_text("first")
        (second / "who").write_text("second")
    # the inner block (second) finished first and was kept; the outer one was dropped
    assert (target / "who").read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["built"]
