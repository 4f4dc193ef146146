"""Really vendored wheels: the artifact's requirements.txt resolves with no index,
for the container's Python and platform, from any working directory."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile

from builder.build import Options, build
from builder.plan import Selection
from builder.wheels import PIP_PLATFORM_ARGS, PROVIDED_BY_IMAGE, ensure_wheels, normalise, read_lock


def test_vendored_requirements_resolve_offline_for_the_container(tmp_path, model_dir, handler_dir):
    # The first run downloads the locked wheels from PyPI into the wheel cache; later runs reuse it.
    document = build(Selection(model_dir=model_dir, handler_dir=handler_dir, wheels="vendor"),
                     Options(output=tmp_path / "out"))
    extracted = tmp_path / "opt-ml-model"
    with tarfile.open(tmp_path / "out" / "model.tar.gz") as tar:
        tar.extractall(extracted, filter="data")
    code = extracted / "code"
    requirements = (code / "requirements.txt").read_text().splitlines()
    assert requirements[1:3] == ["--no-index", "--find-links ./wheels"]
    assert "faster-whisper==1.2.1" in requirements

    shipped = {normalise(p.name.split("-")[0]) for p in (code / "wheels").glob("*.whl")}
    locked = {w.name for w in read_lock()}
    assert shipped == locked - PROVIDED_BY_IMAGE
    assert document["artifact"]["wheels"] == "vendor"

    # Stand-ins for what the image already has (numpy, setuptools), from the same lock.
    image = tmp_path / "image-site-packages"
    image.mkdir()
    for wheel in ensure_wheels(include_provided=True):
        if normalise(wheel.name.split("-")[0]) in PROVIDED_BY_IMAGE:
            shutil.copy(wheel, image)

    # Run pip the way the toolkit does (pip install -r /opt/ml/model/code/requirements.txt)
    # from an unrelated working directory: ./wheels must resolve against the file.
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    report = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--disable-pip-version-check", *PIP_PLATFORM_ARGS, "--target", str(tmp_path / "target"),
         "--find-links", str(image), "--report", str(report), "-r", str(code / "requirements.txt")],
        cwd=elsewhere, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    installed = {normalise(item["metadata"]["name"]) for item in json.loads(report.read_text())["install"]}
    assert {"faster-whisper", "ctranslate2", "tokenizers", "onnxruntime", "av", "soundfile", "soxr"} <= installed
    assert installed <= shipped | PROVIDED_BY_IMAGE


def test_a_tampered_cached_wheel_is_replaced(tmp_path):
    from builder.wheels import read_lock

    cache = tmp_path / "wheels"
    cache.mkdir()
    smallest = min(read_lock(), key=lambda w: w.name)  # anyio: one small wheel is enough
    source = next(p for p in ensure_wheels(include_provided=True) if normalise(p.name.split("-")[0]) == smallest.name)
    shutil.copy(source, cache)
    copy = cache / source.name
    from builder import wheels

    verified = {}
    assert wheels._find_cached(smallest, cache, verified) == copy
    data = bytearray(copy.read_bytes())
    data[-10] ^= 1
    copy.write_bytes(bytes(data))  # a new mtime/size stamp: the hash is recomputed
    assert wheels._find_cached(smallest, cache, verified) is None
