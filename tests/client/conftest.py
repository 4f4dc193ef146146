"""Fixtures for the client tests: a bucket on the moto server and the real local server
(tiny.en) with asynchronous inference writing to it."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from client_testlib import BUCKET, REPO

from demo.processes import Child, free_port, wait_for_ping


@pytest.fixture(scope="session")
def s3(aws_endpoint: str):
    client = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture(scope="session")
def endpoint_url(aws_endpoint: str, s3, model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m inference serve`` with --async-output-path and --async-failure-path in the bucket."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO), AWS_ENDPOINT_URL=aws_endpoint)
    server = Child("inference server", [
        sys.executable, "-m", "inference", "serve", "--model-dir", str(model_dir), "--port", str(port),
        "--async-output-path", f"s3://{BUCKET}/results", "--async-failure-path", f"s3://{BUCKET}/failures",
    ], tmp_path_factory.mktemp("client-server") / "server.log", cwd=REPO, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_ping(url, server, 120)
        yield url
    finally:
        server.stop()


@pytest.fixture
def aws_environment(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's S3 calls go to moto through the standard variable, as a user's would go to AWS."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_endpoint)
