"""Fixtures for the end-to-end area: the real inference server on the real model."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from e2e_testlib import REPO

from demo.processes import Child, free_port, wait_for_ping


@pytest.fixture(scope="session")
def real_server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The real local endpoint (``python -m inference serve``) on the real tiny.en model; yields its URL."""
    port = free_port()
    server = Child("inference server", [sys.executable, "-m", "inference", "serve", "--model-dir", str(model_dir),
                                        "--port", str(port)],
                   tmp_path_factory.mktemp("server") / "server.log", cwd=REPO)
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
