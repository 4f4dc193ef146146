"""Which repository checkout the demo deploys from.

The demo applies the repository's Terraform (``modules/``) and starts its local AWS
(``scripts/local_aws.py``); neither is Python package data. From a source or editable
install the checkout is the directory the package sits in; from an installed wheel it is
the current directory, when that is a clone.
"""

from __future__ import annotations

from pathlib import Path

MARKERS = ("scripts/local_aws.py", "modules/whisper_sagemaker/main.tf")


def is_checkout(path: Path) -> bool:
    return all((path / marker).is_file() for marker in MARKERS)


def checkout_root(cwd: Path | None = None) -> Path | None:
    """The package's own checkout, else ``cwd`` (default: the current directory) if it is one."""
    for candidate in (Path(__file__).resolve().parent.parent, (cwd or Path.cwd()).resolve()):
        if is_checkout(candidate):
            return candidate
    return None
