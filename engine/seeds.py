"""Seeds derived from names and numbers, the same in every process (unlike hash())."""

from __future__ import annotations

import hashlib
import json


def stable_seed(*parts: object) -> int:
    """A seed derived from the parts."""
    digest = hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).digest()
    return int.from_bytes(digest[:8], "little")
