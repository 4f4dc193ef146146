"""``manifest.json``: what was built, from what, and where it is (read by Terraform and CI)."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from . import ARTIFACT_FORMAT

FILE_NAME = "manifest.json"


def make(*, content_key: str, model_size: str | None, repo: str | None, revision: str | None,
         model_dir: str | None, layout: str, wheels: str, artifact_file: str | None, sha256: str,
         size: int, s3_uri: str | None, manifest_uri: str | None) -> dict:
    """Assemble the manifest document.

    ``sha256`` is the tar.gz's digest, or for the uncompressed layout the digest
    of its sorted ``"<sha256>  <name>"`` listing (what ``sha256sum`` prints).
    """
    return {
        "artifact_format": ARTIFACT_FORMAT,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "content_key": content_key,
        "model": {"size": model_size, "repo": repo, "revision": revision, "local_dir": model_dir},
        "artifact": {"layout": layout, "file": artifact_file, "sha256": sha256, "bytes": size,
                     "wheels": wheels},
        "s3": {"uri": s3_uri, "manifest_uri": manifest_uri} if s3_uri else None,
    }


def write(path: Path, manifest: dict) -> Path:
    """Write atomically (a reader never sees half a manifest)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as out:
            json.dump(manifest, out, indent=2, sort_keys=True)
            out.write("\n")
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def read(path: Path) -> dict | None:
    """The manifest at ``path``, or None when absent or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
