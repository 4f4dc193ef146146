"""Fixtures for the builder tests: a Hugging Face cache made from the real tiny.en files,
a small handler package and an S3 bucket on the moto server."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from builder_testlib import make_hf_cache


@pytest.fixture(scope="session")
def hf_cache(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Path:
    """A read-only-by-convention Hub cache holding tiny.en at its pinned commit."""
    return make_hf_cache(tmp_path_factory.mktemp("hf-cache"), model_dir)


@pytest.fixture
def handler_dir(tmp_path: Path) -> Path:
    """A small stand-in for the inference package (the builder copies it, never runs it)."""
    package = tmp_path / "handler-src"
    package.mkdir()
    (package / "__init__.py").write_text('"""stand-in handler package"""\n')
    (package / "handler.py").write_text(
        "def model_fn(model_dir):\n    return model_dir\n\n\n"
        "def input_fn(body, content_type):\n    return body\n\n\n"
        "def predict_fn(data, model):\n    return {'text': ''}\n\n\n"
        "def output_fn(prediction, accept):\n    return prediction\n"
    )
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"not shipped")
    return package


@pytest.fixture
def s3(aws_endpoint: str):
    import boto3

    return boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")


@pytest.fixture
def bucket(s3, request) -> str:
    name = "artifacts-" + hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:12]
    s3.create_bucket(Bucket=name)
    return name

