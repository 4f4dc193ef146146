"""The one place that knows where the project keeps downloads and tools outside the clone.

Wheels (``builder.wheels``), the test model and speech clips (``replay.clips``) and the
Terraform toolchain all live under this root, so a fresh clone reuses what an earlier
one fetched. Stdlib only: ``plan`` and the setup scripts import it.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "WHISPER_SAGEMAKER_CACHE"


def cache_root() -> Path:
    """``$WHISPER_SAGEMAKER_CACHE``, or ``~/.cache/whisper-sagemaker`` when it is unset or empty."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "whisper-sagemaker"
