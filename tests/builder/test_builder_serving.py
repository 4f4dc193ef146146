"""The artifact really serves: extracted as SageMaker does, its code/ and model
transcribe a real clip over HTTP."""

from __future__ import annotations

import json
import sys
import tarfile
import urllib.request
from pathlib import Path

import pytest

from builder.build import Options, build
from builder.layout import PACKAGE_NAME
from builder.plan import Selection
from demo.processes import Child, free_port, wait_for_ping
from replay.wer import wer


def test_extracted_artifact_transcribes_jfk(tmp_path: Path, model_dir: Path, jfk):
    # The real handler (the installed inference package), the real tiny.en model.
    build(Selection(model_dir=model_dir, wheels="none"), Options(output=tmp_path / "out"))
    root = tmp_path / "opt" / "ml" / "model"  # where SageMaker extracts model.tar.gz
    with tarfile.open(tmp_path / "out" / "model.tar.gz") as tar:
        tar.extractall(root, filter="data")
    assert (root / "code" / PACKAGE_NAME / "handler.py").is_file()

    port = free_port()
    # cwd = code/ and no repo path: the server can only be the extracted copy.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONNOUSERSITE": "1"}
    server = Child("extracted artifact's server",
                   [sys.executable, "-m", PACKAGE_NAME, "serve", "--model-dir", str(root), "--port", str(port)],
                   tmp_path / "server.log", cwd=root / "code", env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_for_ping(url, server, timeout=120)
        except RuntimeError as exc:
            pytest.fail(str(exc))
        body = json.dumps({"audio_input": list(jfk.path.read_bytes())}).encode()
        request = urllib.request.Request(f"{url}/invocations", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            assert response.status == 200
            result = json.loads(response.read())
    finally:
        server.stop()
    assert result["text"] == result["text"].strip()
    assert wer([jfk.reference], [result["text"]]) <= 0.1, result["text"]
