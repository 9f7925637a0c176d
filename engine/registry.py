"""One registry style for everything a spec names: metrics, scorers, compression methods.

Each kind of entry has one `Registry`, which knows the modules that define its entries.
Those modules are imported once, on the first lookup, and each registers its entries with
`register`; a lookup never scans a package. The modules must not import torch or
transformers at import time (they import them inside the code that runs a model), so that
listing or validating names stays fast.
"""

from __future__ import annotations

import difflib
import importlib
from typing import Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


class UnknownName(LookupError):
    """A name no registry entry has; the message lists the known ones."""


def did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Registry(Generic[T]):
    def __init__(self, kind: str, modules: tuple[str, ...]) -> None:
        self.kind = kind
        self._modules = modules
        self._entries: dict[str, T] = {}
        self._owners: dict[str, str] = {}
        self._loaded = False

    def register(self, name: str, entry: T, owner: str) -> T:
        """`owner` is the defining module's name: the same module registering again (pytester
        restores sys.modules between in-process runs) replaces its entry; another module
        taking a name is a mistake."""
        known = self._owners.get(name)
        if known is not None and known != owner:
            raise ValueError(f"{self.kind} {name!r} is registered twice ({known}, {owner})")
        self._entries[name] = entry
        self._owners[name] = owner
        return entry

    def decorator(self, name: str) -> Callable[[T], T]:
        """`@registry.decorator("name")` on a class or function defined in a listed module."""

        def add(entry: T) -> T:
            return self.register(name, entry, entry.__module__)

        return add

    def get(self, name: str) -> T:
        self._load()
        if name not in self._entries:
            raise UnknownName(
                f"unknown {self.kind} {name!r}{did_you_mean(name, self.names())}; "
                f"known: {', '.join(self.names())}"
            )
        return self._entries[name]

    def names(self) -> list[str]:
        self._load()
        return sorted(self._entries)

    def items(self) -> Iterator[tuple[str, T]]:
        self._load()
        return iter(sorted(self._entries.items()))

    def in_module_order(self) -> list[T]:
        """The entries in the order their modules are listed (by name within a module),
        however the modules happened to be imported."""
        self._load()
        rank = {module: i for i, module in enumerate(self._modules)}
        ordered = sorted(self._entries, key=lambda n: (rank.get(self._owners[n], len(rank)), n))
        return [self._entries[name] for name in ordered]

    def __contains__(self, name: str) -> bool:
        self._load()
        return name in self._entries

    def _load(self) -> None:
        if not self._loaded:
            for module in self._modules:
                importlib.import_module(module)
            self._loaded = True
