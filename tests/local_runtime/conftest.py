"""Fixtures for the local runtime: the real container server, and the runtime in front of it.

``python -m inference serve`` on the real tiny.en model is the container;
``python -m local_runtime`` serves SageMaker's streaming API for endpoint ``ENDPOINT``
in front of it; callers run AWS's own client from the callers' environment.
"""

from __future__ import annotations

import select
from pathlib import Path

import pytest
from model_server import model_server
from runtime_testlib import ENDPOINT

from demo.processes import Child
from local_runtime.callers import REPO, Runtime, clients_python, runtime_command

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
    with model_server(model_dir, tmp_path_factory.mktemp("container") / "container.log", CONTAINER_ENV) as url:
        yield url


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
