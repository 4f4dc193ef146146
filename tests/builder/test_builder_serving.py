"""The artifact really serves: extracted as SageMaker does, its code/ and model
transcribe a real clip over HTTP."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bench.wer import wer
from builder.build import Options, build
from builder.layout import PACKAGE_NAME
from builder.plan import Selection


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}: {proc.stderr.read()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/ping", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    pytest.fail(f"server did not answer /ping within {timeout} s")


def test_extracted_artifact_transcribes_jfk(tmp_path: Path, model_dir: Path, jfk):
    # The real handler (the installed inference package), the real tiny.en model.
    build(Selection(model_dir=model_dir, wheels="none"), Options(output=tmp_path / "out"))
    root = tmp_path / "opt" / "ml" / "model"  # where SageMaker extracts model.tar.gz
    with tarfile.open(tmp_path / "out" / "model.tar.gz") as tar:
        tar.extractall(root, filter="data")
    assert (root / "code" / PACKAGE_NAME / "handler.py").is_file()

    port = _free_port()
    # cwd = code/ and no repo path: the server can only be the extracted copy.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONNOUSERSITE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", PACKAGE_NAME, "serve", "--model-dir", str(root), "--port", str(port)],
        cwd=root / "code", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc)
        body = json.dumps({"audio_input": list(jfk.path.read_bytes())}).encode()
        request = urllib.request.Request(f"{url}/invocations", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            assert response.status == 200
            result = json.loads(response.read())
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stderr.close()
    assert result["text"] == result["text"].strip()
    assert wer([jfk.reference], [result["text"]]) <= 0.1, result["text"]
