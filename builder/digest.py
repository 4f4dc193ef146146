"""SHA-256 of a file, streamed: the one hash the builder names artifacts and verifies wheels with.

Standard library only, because ``plan`` (run by Terraform before any install) uses it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
