"""Write the artifact byte-for-byte reproducibly: ``model.tar.gz`` or a plain directory.

Identical entries give identical bytes: members sorted by name, mtime 0,
owner 0:0 with empty names, fixed modes, GNU tar headers, and a gzip header
with mtime 0 and no file name. Output goes to a temporary name beside the
target and is renamed only when complete, so a failure leaves nothing behind.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import BuilderError

# Weights and wheels are already dense: gzip -1 saves ~7% on tiny.en's model.bin
# but costs ~3 s per 75 MB, so the default stores (level 0) and stays fast.
DEFAULT_GZIP_LEVEL = 0
_COPY_BUFFER = 4 << 20

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Entry:
    """One file of the artifact: its path inside the artifact and its content."""

    arcname: str
    path: Path | None = None
    data: bytes | None = None

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else self.path.stat().st_size

    def open(self):
        return io.BytesIO(self.data) if self.data is not None else open(self.path, "rb")


@dataclass(frozen=True)
class Written:
    """What :func:`write_tar_gz` produced."""

    path: Path
    sha256: str
    bytes: int


class _HashingWriter(io.RawIOBase):
    """Pass-through writer that hashes and counts what goes to the file."""

    def __init__(self, raw):
        self.raw, self.digest, self.count = raw, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.digest.update(data)
        self.count += len(data)
        return self.raw.write(data)


class _ProgressReader(io.RawIOBase):
    def __init__(self, raw, progress: Progress | None):
        self.raw, self.progress = raw, progress

    def readable(self) -> bool:
        return True

    def read(self, size=-1) -> bytes:
        data = self.raw.read(size)
        if self.progress and data:
            self.progress(len(data))
        return data


def _directories(entries: list[Entry]) -> list[str]:
    dirs = set()
    for entry in entries:
        dirs.update(str(parent) for parent in PurePosixPath(entry.arcname).parents if str(parent) != ".")
    return sorted(dirs)


def _tarinfo(name: str, size: int = 0, directory: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.uid, info.gid, info.uname, info.gname = size, 0, 0, 0, "", ""
    info.type = tarfile.DIRTYPE if directory else tarfile.REGTYPE
    info.mode = 0o755 if directory else 0o644
    return info


def _check_names(entries: list[Entry]) -> list[Entry]:
    names = [e.arcname for e in entries]
    if len(set(names)) != len(names):
        raise BuilderError("artifact has duplicate member names")
    return sorted(entries, key=lambda e: e.arcname)


def _disk_error(error: OSError, target: Path) -> BuilderError:
    if error.errno == errno.ENOSPC:
        return BuilderError(f"disk full while writing {target}; free space there or choose another --output")
    return BuilderError(f"cannot write {target}: {error.strerror or error}")


def write_tar_gz(entries: list[Entry], target: Path, *, gzip_level: int = DEFAULT_GZIP_LEVEL,
                 progress: Progress | None = None) -> Written:
    """Write ``entries`` as a reproducible tar.gz at ``target`` (atomically).

    Raises:
        BuilderError: duplicate names, disk full or an unwritable target.
    """
    entries = _check_names(entries)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as raw:
            hashing = _HashingWriter(raw)
            with gzip.GzipFile(filename="", mode="wb", fileobj=hashing, mtime=0,
                               compresslevel=gzip_level) as gz:
                with tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT,
                                  copybufsize=_COPY_BUFFER) as tar:
                    for name in _directories(entries):
                        tar.addfile(_tarinfo(name, directory=True))
                    for entry in entries:
                        with entry.open() as source:
                            tar.addfile(_tarinfo(entry.arcname, entry.size), _ProgressReader(source, progress))
        os.chmod(temp, 0o644)  # mkstemp makes 0600; the artifact is not a secret
        os.replace(temp, target)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise _disk_error(error, target) from error
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return Written(target, hashing.digest.hexdigest(), hashing.count)


def write_directory(entries: list[Entry], target: Path, *, progress: Progress | None = None) -> Path:
    """Write ``entries`` as plain files under ``target`` (the ``CompressionType: None`` layout).

    Built in a temporary sibling directory and renamed into place when complete.
    """
    entries = _check_names(entries)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for entry in entries:
            destination = temp / entry.arcname
            destination.parent.mkdir(parents=True, exist_ok=True)
            with entry.open() as source, open(destination, "wb") as sink:
                shutil.copyfileobj(_ProgressReader(source, progress), sink, _COPY_BUFFER)
            os.chmod(destination, 0o644)
        if target.exists():
            shutil.rmtree(target)
        os.replace(temp, target)
    except OSError as error:
        shutil.rmtree(temp, ignore_errors=True)
        raise _disk_error(error, target) from error
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return target
