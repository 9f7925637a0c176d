"""The results cache: JSON values under content-hash keys, written atomically.

A value is written to a temporary file in the same directory and renamed into place, so a
run killed at any moment leaves either the whole value or nothing, and a later run resumes
from everything already stored. Processes that share a store (jobs of a CI matrix on shared
storage, pytest-xdist workers) may write the same key at once: each writes its own temporary
file, and readers see one whole value, never a mix. Floats survive the JSON round trip exactly.
The results may instead live in an object store (`--store s3://bucket/prefix`), for jobs on
machines that share no file system (`engine.object_store`).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

from engine.object_store import ObjectFiles, is_url

DEFAULT_ROOT_ENV = "FAIRGATE_CACHE"


def default_cache_root() -> Path:
    if os.environ.get(DEFAULT_ROOT_ENV):
        return Path(os.environ[DEFAULT_ROOT_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fairgate"


def current_umask() -> int:
    """The process's umask, read without changing it where Linux shows it (setting it to read
    it would briefly apply another mask to files other threads create)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary file beside `path` for the block to fill (it may reopen it by name), which
    then replaces `path` in one rename; removed if the block fails. Each caller gets its own,
    so processes sharing a store never write into one another's file. It has the mode a plain
    open() would give it: mkstemp's 0600 would make a store or report shared between users,
    or restored from a CI cache by another user, unreadable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        os.close(fd)
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_directory(path: Path) -> Iterator[Path]:
    """A temporary directory beside `path` for the block to fill, renamed to `path` when it
    ends; removed if the block fails. Each caller gets its own, with the mode a plain mkdir
    would give it (see atomic_path). If another process put `path` in place first, its copy
    is kept and this one dropped."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        os.chmod(tmp, 0o777 & ~current_umask())
        yield tmp
        try:
            os.rename(tmp, path)
        except OSError:
            if not path.is_dir():
                raise
            shutil.rmtree(tmp)  # another writer finished the same directory first
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Held by one process at a time (processes of one machine, or of machines whose shared
    file system supports flock)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """`write` fills the file that then replaces `path` in one rename (see atomic_path)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))


class LocalFiles:
    """Bytes under relative paths in a directory, each written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, relative: str) -> bytes | None:
        try:
            return (self.root / relative).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, relative: str, data: bytes) -> None:
        atomic_write(self.root / relative, lambda f: f.write(data))


class ResultStore:
    def __init__(self, root: Path | str | None = None, cache_root: Path | None = None) -> None:
        """`root` holds the results: a directory, or the URL of an object store
        (`engine.object_store`); `cache_root` the rest of the run's cache (converted builtin
        models, file hashes), default: the fairgate cache, the one place the environment is
        read."""
        self.cache_root = Path(cache_root) if cache_root is not None else default_cache_root()
        location = root if root is not None else self.cache_root / "results"
        if is_url(location):
            self.root: Path | str = str(location)
            self.files: LocalFiles | ObjectFiles = ObjectFiles(self.root)
            # An object store has no locks: processes of one machine share one in the local
            # cache, and jobs on several machines leave the baseline to a job of its own.
            self._locks = self.cache_root / "locks"
        else:
            self.root = Path(location)
            self.files = LocalFiles(self.root)
            self._locks = self.root / "locks"

    @classmethod
    def in_cache(cls, cache: Path | str | None, results: str | None = None) -> ResultStore:
        """The store of a cache directory given by `--cache` or `--fairgate-cache` (None: the
        default cache), holding its results in `results` (`--store`: a directory or an object
        store's URL) when given, else in the cache's results/."""
        return cls(results, Path(cache) if cache else None)

    @staticmethod
    def _relative(key: str) -> str:
        kind, _, digest = key.rpartition("/")
        return f"{kind}/{digest[:2]}/{digest}.json"

    def get(self, key: str) -> Any | None:
        data = self.files.read(self._relative(key))
        return None if data is None else json.loads(data)

    def put(self, key: str, value: Any) -> None:
        self.files.write(self._relative(key), json.dumps(value).encode("utf-8"))

    def exclusive(self, name: str):
        """Hold a lock across processes (pytest-xdist workers), so that work the others
        would repeat, such as the shared baseline, is done once and then read from here."""
        return file_lock(self._locks / f"{name}.lock")
