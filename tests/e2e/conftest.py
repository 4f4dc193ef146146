"""Fixtures for the end-to-end area: synthetic calls from the real clips, a protocol
stand-in server (client-protocol checks only), and the real inference server."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from e2e_testlib import REPO, StandIn

from demo.processes import Child, free_port, wait_for_ping


@pytest.fixture(scope="session")
def short_call_clips(clips):
    """Three real utterances (1.1 s, 3.0 s, 2.8 s): a ~11 s call."""
    chosen = {c.name: c for c in clips}
    return [chosen["cards-001"], chosen["librivox-0880"], chosen["goforward"]]


@pytest.fixture
def standin():
    with StandIn() as server:
        yield server


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
