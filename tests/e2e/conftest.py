"""Fixtures for the end-to-end area: the real inference server on the real model."""

from __future__ import annotations

from pathlib import Path

import pytest
from model_server import model_server


@pytest.fixture(scope="session")
def real_server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The real local endpoint (``python -m inference serve``) on the real tiny.en model; yields its URL."""
    with model_server(model_dir, tmp_path_factory.mktemp("server") / "server.log") as url:
        yield url
