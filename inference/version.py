"""The project's version: one number, ``version`` in pyproject.toml, read back here.

Every command line (``python -m builder``, ``inference``, ``client``, ``replay``, ``demo``,
``bench``) prints it for ``--version``. Installed (a wheel, or ``pip install -e .`` as
scripts/setup.sh does), it comes from the distribution's metadata; run from a checkout that
was never installed, from the checkout's pyproject.toml; elsewhere (an artifact's ``code/``,
which carries neither) it is ``unknown``. Standard library only: the builder's ``plan`` imports it.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "whisper-sagemaker"
_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
# pyproject.toml's [project] table: its `version = "..."` line (tomllib is Python >= 3.11 only).
_PROJECT_VERSION = re.compile(r'^\[project\]\s*$(?:(?!^\[).)*?^version\s*=\s*"([^"]+)"', re.M | re.S)


def package_version() -> str:
    """The version of whisper-sagemaker this code belongs to, e.g. ``1.0.0``; ``unknown`` if none says."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pass
    try:
        found = _PROJECT_VERSION.search(_PYPROJECT.read_text(encoding="utf-8"))
    except OSError:
        found = None
    return found.group(1) if found else "unknown"


def version_line(prog: str) -> str:
    """What ``--version`` prints: ``PROG (whisper-sagemaker 1.0.0)``."""
    return f"{prog} ({DISTRIBUTION} {package_version()})"
