"""Fixtures shared by every test: the real tiny.en model and real speech clips.

Both are installed by ``scripts/setup.sh`` (``make test`` runs it); a missing
cache is a broken setup, so it fails loudly instead of skipping.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest


def testdata_root() -> Path:
    env = os.environ.get("WHISPER_SAGEMAKER_CACHE")
    base = Path(env) if env else Path.home() / ".cache" / "whisper-sagemaker"
    return base / "testdata"


@dataclass(frozen=True)
class Clip:
    """One real speech recording: 16 kHz mono s16le WAV with its reference transcript."""

    name: str
    path: Path
    reference: str
    seconds: float


@pytest.fixture(scope="session")
def model_dir() -> Path:
    path = testdata_root() / "models" / "tiny.en"
    if not (path / "model.bin").exists():
        pytest.fail(f"tiny.en model missing at {path}: run scripts/setup.sh (make test does)")
    return path


@pytest.fixture(scope="session")
def clips() -> list[Clip]:
    speech = testdata_root() / "speech"
    index = speech / "clips.json"
    if not index.exists():
        pytest.fail(f"speech clips missing at {speech}: run scripts/setup.sh (make test does)")
    return [
        Clip(c["name"], speech / c["file"], c["reference"], c["seconds"])
        for c in json.loads(index.read_text())
    ]


@pytest.fixture(scope="session")
def jfk(clips: list[Clip]) -> Clip:
    return next(c for c in clips if c.name == "jfk")


@pytest.fixture(scope="session")
def aws_endpoint(tmp_path_factory: pytest.TempPathFactory):
    """A real moto server over HTTP on 127.0.0.1 (scripts/local_aws.py); yields its URL.

    Also points boto3 at fake credentials so nothing can reach a real account.
    """
    import subprocess
    import sys

    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1")
    script = Path(__file__).resolve().parent.parent / "scripts" / "local_aws.py"
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline().strip()
    if not line.startswith("ready "):
        proc.kill()
        proc.stdout.close()
        pytest.fail(f"local AWS (moto) failed to start: {line!r}")
    mp = pytest.MonkeyPatch()
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        mp.setenv(key, env[key])
    try:
        yield line.split(" ", 1)[1]
    finally:
        mp.undo()
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
