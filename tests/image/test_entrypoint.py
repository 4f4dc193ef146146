"""The image's entrypoint script, run as SageMaker runs the container (``IMAGE serve``) but outside
one: a real artifact with its vendored wheels, a Python that has only what the image provides
(numpy, setuptools), and no package index. It installs the artifact's wheels, starts the
artifact's server, and that server answers /ping, LCA's /invocations and the streaming route."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import soundfile
from websockets.sync.client import connect

from builder import wheels
from builder.build import DIR_NAME, Options, build
from builder.plan import Selection
from demo.processes import Child, free_port, wait_for_ping
from replay.wer import wer
from serving_image import spec

FRAME_BYTES = 3200  # 100 ms of 16 kHz 16-bit mono


def image_python(root: Path) -> Path:
    """A fresh CPython 3.12 environment holding only the packages the DLC itself ships for us."""
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True)
    provided = [path for path in wheels.ensure_wheels(include_provided=True)
                if wheels.normalise(path.name.split("-")[0]) in wheels.PROVIDED_BY_IMAGE]
    subprocess.run([str(root / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
                    *map(str, provided)], check=True)
    return root / "bin" / "python"


def run_entrypoint(args: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(spec.ENTRYPOINT_SOURCE), *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False, **kwargs)


@pytest.fixture(scope="module")
def python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return image_python(tmp_path_factory.mktemp("image-python") / "env")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, model_dir: Path, python: Path):
    """Yields the base URL of the entrypoint's server over the artifact extracted as SageMaker does."""
    tmp = tmp_path_factory.mktemp("entrypoint")
    build(Selection(model_dir=model_dir, wheels="vendor", layout="uncompressed"), Options(output=tmp / "out"))
    artifact = tmp / "out" / DIR_NAME
    assert (artifact / "code" / "requirements.txt").is_file()
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp), "PYTHONNOUSERSITE": "1",
           "WHISPER_IMAGE_MODEL_DIR": str(artifact), "WHISPER_IMAGE_PORT": str(port),
           "WHISPER_IMAGE_PYTHON": str(python), "PIP_NO_INDEX": "1"}
    server = Child("the image's entrypoint", [str(spec.ENTRYPOINT_SOURCE), *spec.CMD], tmp / "serve.log", env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_for_ping(url, server, timeout=600)  # first it installs ~150 MB of wheels
        except RuntimeError as exc:
            pytest.fail(str(exc))
        yield url
    finally:
        server.stop()


def test_the_entrypoint_installs_the_artifacts_wheels_and_serves_ping(served, python):
    with urllib.request.urlopen(f"{served}/ping", timeout=10) as response:
        assert response.status == 200
    # The environment had none of the runtime before; now it has the vendored versions.
    installed = subprocess.run([str(python), "-m", "pip", "list", "--format=json"], capture_output=True,
                               text=True, check=True).stdout
    versions = {p["name"].lower(): p["version"] for p in json.loads(installed)}
    locked = {w.name: w.version for w in wheels.read_lock()}
    for name in ("ctranslate2", "faster-whisper", "uvicorn"):
        assert versions[name] == locked[name]


def test_lcas_request_is_transcribed(served, jfk):
    body = json.dumps({"audio_input": list(jfk.path.read_bytes()), "parameters": {"language": "en"}}).encode()
    request = urllib.request.Request(f"{served}/invocations", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        assert response.status == 200
        result = json.loads(response.read())
    assert wer([jfk.reference], [result["text"]]) <= 0.1, result["text"]


def test_the_streaming_route_transcribes(served, jfk):
    speech, _ = soundfile.read(str(jfk.path), dtype="int16")
    pcm = np.concatenate([speech, np.zeros(16000, np.int16)]).astype("<i2").tobytes()
    query = urllib.parse.urlencode({"model": "whisper", "encoding": "linear16", "sample_rate": "16000"})
    finals = []
    with connect(f"{served.replace('http', 'ws', 1)}/invocations-bidirectional-stream?{query}",
                 max_size=None, open_timeout=10) as ws:
        for start in range(0, len(pcm), FRAME_BYTES):
            ws.send(pcm[start:start + FRAME_BYTES])
        ws.send(json.dumps({"type": "CloseStream"}))
        for raw in ws:  # until the server closes after its finals and Metadata
            message = json.loads(raw)
            if message.get("type") == "Results" and message.get("is_final"):
                finals.append(message["channel"]["alternatives"][0]["transcript"])
    text = " ".join(t for t in finals if t)
    assert wer([jfk.reference], [text]) <= 0.3, text


def test_another_command_runs_as_given():
    result = run_entrypoint(["echo", "a shell in the image"], env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0 and result.stdout == "a shell in the image\n"


def test_a_model_directory_without_our_code_is_one_error_line(tmp_path):
    result = run_entrypoint(["serve"], env={"PATH": "/usr/bin:/bin", "WHISPER_IMAGE_MODEL_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert result.stderr.startswith("ERROR: ") and len(result.stderr.splitlines()) == 1
