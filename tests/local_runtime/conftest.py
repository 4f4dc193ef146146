"""Fixtures for the local runtime: the real container server, and the runtime in front of it.

``python -m inference serve`` on the real tiny.en model is the container;
``python -m local_runtime`` serves SageMaker's streaming API for endpoint ``ENDPOINT``
in front of it; callers run AWS's own client from the callers' environment.
"""

from __future__ import annotations

import os
import select
import sys
from pathlib import Path

import pytest

from demo.processes import Child, free_port, wait_for_ping
from local_runtime.callers import REPO, Runtime, clients_python, runtime_command

ENDPOINT = "whisper-endpoint-test"
# streaming limits reachable in seconds
CONTAINER_ENV = {"WHISPER_STREAM_IDLE_S": "5"}


@pytest.fixture(scope="session")
def clients_env() -> None:
    try:
        clients_python()
    except FileNotFoundError as exc:
        pytest.fail(f"{exc} (make test does)")


@pytest.fixture(scope="session")
def container(model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """``python -m inference serve`` on the real model; yields its URL."""
    port = free_port()
    child = Child("container", [sys.executable, "-m", "inference", "serve", "--model-dir", str(model_dir),
                                "--port", str(port)],
                  tmp_path_factory.mktemp("container") / "container.log", cwd=REPO,
                  env=dict(os.environ, **CONTAINER_ENV))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_ping(url, child, timeout=180)
    except RuntimeError as exc:
        child.stop()
        pytest.fail(str(exc))
    try:
        yield url
    finally:
        child.stop()


@pytest.fixture(scope="session")
def runtime(container: str, clients_env, tmp_path_factory: pytest.TempPathFactory):
    """``python -m local_runtime`` serving ``ENDPOINT`` in front of the container."""
    work = tmp_path_factory.mktemp("runtime")
    child = Child("runtime", runtime_command({ENDPOINT: container}, work / "tls"), work / "runtime.log",
                  cwd=REPO, stdout_pipe=True)
    ready, _, _ = select.select([child.proc.stdout], [], [], 60)
    line = child.proc.stdout.readline().strip() if ready else ""
    try:
        started = Runtime.from_ready_line(line)
    except RuntimeError as exc:
        child.stop()
        pytest.fail(f"{exc}; log: {child.log_tail()}")
    try:
        yield started
    finally:
        child.stop()
