"""Fixtures for the inference tests: one loaded model and one real server per session.

The server is ``python -m inference serve`` in a subprocess on a free port (real
uvicorn, real HTTP), with one worker and a queue of one so overload is reachable.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVER_WORKERS = 1
SERVER_MAX_QUEUE = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class HttpAnswer:
    status: int
    headers: dict
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def post(url: str, body: bytes, content_type: str | None = "application/json",
         accept: str | None = None, timeout: float = 120) -> HttpAnswer:
    """POST with urllib; 4xx/5xx come back as answers, not exceptions."""
    headers = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if accept is not None:
        headers["Accept"] = accept
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpAnswer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as exc:
        return HttpAnswer(exc.code, dict(exc.headers), exc.read())


def get(url: str, timeout: float = 5) -> HttpAnswer:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return HttpAnswer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as exc:
        return HttpAnswer(exc.code, dict(exc.headers), exc.read())


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
    env = dict(os.environ, PYTHONPATH=str(REPO))
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


@pytest.fixture(scope="session")
def aws_endpoint():
    """The shared moto server fixture, with its stdout pipe closed at teardown.

    tests/conftest.py's ``aws_endpoint`` leaves ``proc.stdout`` open, which
    ``filterwarnings = error`` turns into a teardown error (ResourceWarning).
    Same server, same environment; drop this copy once the shared one closes it.
    """
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1")
    proc = subprocess.Popen([sys.executable, str(REPO / "scripts" / "local_aws.py")],
                            stdout=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline().strip()
    if not line.startswith("ready "):
        proc.kill()
        proc.stdout.close()
        pytest.fail(f"local AWS (moto) failed to start: {line!r}")
    patch = pytest.MonkeyPatch()
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        patch.setenv(key, env[key])
    try:
        yield line.split(" ", 1)[1]
    finally:
        patch.undo()
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
