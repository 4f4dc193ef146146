"""crane, as the tests run it, and what the stand-in base image's config holds."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CRANE = str(REPO / "scripts" / "crane")

# The DLC's own entrypoint and environment, in miniature.
BASE_CONFIG = {
    "Entrypoint": ["/usr/local/bin/dockerd-entrypoint.py"],
    "Cmd": ["serve"],
    "Env": ["PATH=/opt/conda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "SAGEMAKER_SERVING_MODULE=sagemaker_huggingface_inference_toolkit.serving:main"],
    "Labels": {"com.amazonaws.sagemaker.capabilities.accept-bind-to-port": "true"},
}


def crane(*args: str) -> str:
    """Run scripts/crane; its stdout (an assertion error with its stderr when it fails)."""
    result = subprocess.run([CRANE, *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def crane_json(*args: str) -> dict:
    """``crane config`` / ``crane manifest`` output, parsed."""
    return json.loads(crane(*args))


def crane_blob(reference: str) -> bytes:
    """A blob's bytes (``crane blob REPOSITORY@DIGEST``)."""
    result = subprocess.run([CRANE, "blob", reference], capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout
