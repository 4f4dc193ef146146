"""What every command line of the project shares: its version, and options that were renamed.

The version is one number, ``version`` in pyproject.toml, read back here. Every command line
(``python -m builder``, ``inference``, ``client``, ``replay``, ``demo``, ``bench``) prints it
for ``--version``. Installed (a wheel, or ``pip install -e .`` as
scripts/setup.sh does), it comes from the distribution's metadata; run from a checkout that
was never installed, from the checkout's pyproject.toml; elsewhere (an artifact's ``code/``,
which carries neither) it is ``unknown``. Standard library only: the builder's ``plan`` imports it.
"""

from __future__ import annotations

import argparse
import re
import sys
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



class Renamed(argparse.Action):
    """An option that was renamed: its former spelling still works, with one ``WARNING:`` line.

    Give both spellings, the new one first (argparse names the value after it)::

        parser.add_argument("--endpoint-name", "--endpoint", action=Renamed, old="--endpoint", ...)
    """

    def __init__(self, option_strings: list[str], dest: str, old: str, **kwargs) -> None:
        super().__init__(option_strings, dest, **kwargs)
        self.old, self.new = old, option_strings[0]

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        if option_string == self.old:
            print(f"WARNING: {self.old} is deprecated and will be removed in a future major version; "
                  f"use {self.new}", file=sys.stderr)
        setattr(namespace, self.dest, values)
