"""The one layer the serving image adds: the entrypoint script, as a deterministic tarball.

Same script, same bytes: fixed owner, mode and timestamp, so the layer's digest (and the image
built on a given base) depends on nothing but the script.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from . import spec


def layer_bytes(script: Path = spec.ENTRYPOINT_SOURCE) -> bytes:
    """The uncompressed layer tarball holding ``script`` at :data:`spec.ENTRYPOINT_PATH`."""
    data = script.read_bytes()
    info = tarfile.TarInfo(spec.ENTRYPOINT_PATH.lstrip("/"))
    info.size, info.mode, info.mtime = len(data), 0o755, 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write_layer(path: Path) -> Path:
    """Write :func:`layer_bytes` to ``path`` and return it."""
    path.write_bytes(layer_bytes())
    return path
