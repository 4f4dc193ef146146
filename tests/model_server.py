"""The real local endpoint (``python -m inference serve``) on a real model, for the folders whose
tests talk to it over the network as SageMaker or a caller would."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from demo.processes import Child, free_port, wait_for_ping

REPO = Path(__file__).resolve().parent.parent


@contextmanager
def model_server(model_dir: Path, log: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start the server on a free port, wait for ``/ping`` 200 (or fail the test), yield its URL."""
    port = free_port()
    server = Child("inference server", [sys.executable, "-m", "inference", "serve", "--model-dir", str(model_dir),
                                        "--port", str(port)],
                   log, cwd=REPO, env=dict(os.environ, **(env or {})))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_ping(url, server, timeout=180)
    except RuntimeError as exc:
        server.stop()
        pytest.fail(str(exc))
    try:
        yield url
    finally:
        server.stop()
