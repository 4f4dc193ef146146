"""Fixtures for the end-to-end area: synthetic calls from the real clips, a protocol
stand-in server (client-protocol checks only), and the real inference server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from e2e_testlib import REPO, StandIn


@pytest.fixture(scope="session")
def short_call_clips(clips):
    """Three real utterances (1.1 s, 3.0 s, 2.8 s): a ~11 s call."""
    chosen = {c.name: c for c in clips}
    return [chosen["cards-001"], chosen["librivox-0880"], chosen["goforward"]]


@pytest.fixture
def standin():
    with StandIn() as server:
        yield server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def real_server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The real local endpoint (``python -m inference serve``) on the real tiny.en model; yields its URL."""
    port = _free_port()
    log = open(tmp_path_factory.mktemp("server") / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "inference", "serve", "--model-dir", str(model_dir),
                             "--port", str(port)], cwd=REPO, stdout=log, stderr=log, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"inference server exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(f"{url}/ping", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("inference server did not answer /ping within 180 s")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
