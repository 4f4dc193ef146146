"""Fixtures for the inference tests: one loaded model and one real server per session.

The server is ``python -m inference serve`` in a subprocess on a free port (real
uvicorn, real HTTP), with one worker and a queue of one so overload is reachable.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
from dataclasses import dataclass
from pathlib import Path

import pytest
from inference_testlib import REPO, SERVER_ENV, SERVER_MAX_QUEUE, SERVER_WORKERS, free_port, get


@pytest.fixture(scope="session")
def transcriber(model_dir: Path):
    """The real tiny.en model loaded through the handler's own ``model_fn``."""
    from inference import handler

    return handler.model_fn(model_dir)


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    ping_statuses: list[int]

    def alive(self) -> bool:
        return self.process.poll() is None and get(f"{self.url}/ping").status == 200


@pytest.fixture(scope="session")
def server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """``python -m inference serve`` on a free port; records /ping answers while it loads."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = dict(os.environ, PYTHONPATH=str(REPO), **SERVER_ENV)
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "inference", "serve", "--model-dir", str(model_dir), "--port", str(port),
             "--workers", str(SERVER_WORKERS), "--max-queue", str(SERVER_MAX_QUEUE)],
            cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    statuses: list[int] = []
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                statuses.append(get(f"{url}/ping").status)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
                continue
            if statuses[-1] == 200:
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"server never became healthy: {log.read_text()[-2000:]}")
        yield Server(url, proc, statuses)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
