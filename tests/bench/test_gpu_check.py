"""The GPU check as far as a machine without a GPU can run it.

The CPU dry run goes through the same path as the GPU run (a fresh process per compute
type, the handler's own hooks, LCA's requests) on the real tiny.en model; the bundle is
built for real (pinned wheels from PyPI, the re-quantised model) and must fit what one
device call may carry.
"""

from __future__ import annotations

import json
import lzma
import os
import subprocess
import tarfile
from pathlib import Path

import numpy as np
import pytest

from bench import gpu_check, gpu_check_bundle
from replay.wer import wer

REPO = Path(__file__).resolve().parents[2]


def test_dry_run_times_two_lca_requests_through_the_handler_on_cpu(tmp_path, model_dir, capsys):
    out = tmp_path / "rows.json"
    assert gpu_check.main(["measure", "--dry-run", "--model-dir", str(model_dir), "--json", str(out)]) == 0
    (row,) = json.loads(out.read_text())
    assert row["requested"] == "default" and row["device"] == "cpu" and row["cuda_libs"] == "cpu"
    assert row["compute_type"].startswith("int8")  # the loader's CPU choice, as CTranslate2 reports it
    assert row["requests"] == 2 and row["failures"] == 0
    assert 0 < row["p50_ms"] <= row["p95_ms"] and row["load_s"] > 0
    assert row["gpu_peak_mib"] is None
    printed = capsys.readouterr().out
    assert "CUDA devices seen by CTranslate2" in printed and "p95 ms" in printed


def test_a_bad_compute_type_fails_with_one_error_line(model_dir, capsys):
    code = gpu_check.main(["measure", "--device", "cpu", "--compute-types", "float99", "--requests", "1",
                           "--model-dir", str(model_dir)])
    assert code == 1
    assert capsys.readouterr().err.strip() == "ERROR: float99: the measuring process failed with exit 1"


def test_the_script_refuses_to_run_without_the_bundle(tmp_path):
    done = subprocess.run(["bash", str(REPO / "bench" / "gpu_check.sh")], capture_output=True, text=True,
                          env=dict(os.environ, GPU_BUNDLE=str(tmp_path / "none"), GPU_WORK=str(tmp_path)))
    assert done.returncode == 2
    assert done.stderr.startswith("ERROR: ") and "python -m bench.gpu_check bundle" in done.stderr


def test_requantised_model_is_int8_half_the_size_and_still_transcribes(tmp_path, model_dir, jfk):
    from faster_whisper import WhisperModel

    gpu_check_bundle.quantize_whisper(model_dir, tmp_path / "int8")
    original = gpu_check_bundle.read_ct2_model(model_dir / "model.bin")
    name, variables, aliases = gpu_check_bundle.read_ct2_model(tmp_path / "int8" / "model.bin")
    assert name == "WhisperSpec" and aliases == original[2]
    assert variables["encoder/layer_0/ffn/linear_0/weight"].dtype == np.int8
    assert variables["encoder/layer_0/ffn/linear_0/weight_scale"].dtype == np.float32
    assert (tmp_path / "int8" / "model.bin").stat().st_size < 0.55 * (model_dir / "model.bin").stat().st_size
    model = WhisperModel(str(tmp_path / "int8"), device="cpu", compute_type="int8", cpu_threads=2)
    segments, _ = model.transcribe(str(jfk.path), language="en", beam_size=1)
    assert wer([jfk.reference], [" ".join(s.text for s in segments)]) <= 0.1


@pytest.mark.slow
def test_bundle_holds_everything_and_fits_one_device_call(tmp_path):
    out = tmp_path / "bundle"
    assert gpu_check_bundle.main(out) == 0
    total = gpu_check_bundle.tree_bytes() + sum(p.stat().st_size for p in out.iterdir())
    assert total <= gpu_check_bundle.CARRY_LIMIT
    with tarfile.open(fileobj=lzma.open(out / "site.tar.xz")) as tar:
        names = set(tar.getnames())
    for needed in ("ctranslate2/_ext.cpython-312-x86_64-linux-gnu.so", "faster_whisper/transcribe.py",
                   "soundfile.py", "soxr/__init__.py", "_cffi_backend.cpython-312-x86_64-linux-gnu.so",
                   "av/__init__.py", "ctranslate2-4.6.0.dist-info/METADATA"):
        assert needed in names, needed
    assert any(n.startswith("ctranslate2.libs/libcudnn") for n in names)  # the CUDA build, with its cuDNN shim
    with tarfile.open(fileobj=lzma.open(out / "data.tar.xz")) as tar:
        names = set(tar.getnames())
    assert {"testdata/models/tiny.en/model.bin", "testdata/speech/clips.json", "testdata/speech/jfk.wav"} <= names


def test_a_bundle_of_the_same_contents_is_compressed_once(tmp_path):
    source, cache = tmp_path / "src", tmp_path / "cache"
    source.mkdir()
    (source / "a.txt").write_text("the same bytes\n")
    first, second = tmp_path / "site.tar.xz", tmp_path / "again" / "site.tar.xz"
    second.parent.mkdir()
    gpu_check_bundle.write_tar_xz(first, source, cache)
    (kept,) = cache.iterdir()
    stamp = kept.stat().st_mtime_ns
    gpu_check_bundle.write_tar_xz(second, source, cache)
    assert first.read_bytes() == second.read_bytes() and kept.stat().st_mtime_ns == stamp
    with tarfile.open(fileobj=lzma.open(second)) as tar:
        assert tar.extractfile("a.txt").read() == b"the same bytes\n"
    (source / "a.txt").write_text("new bytes\n")
    gpu_check_bundle.write_tar_xz(second, source, cache)
    assert len(list(cache.iterdir())) == 2
    with tarfile.open(fileobj=lzma.open(second)) as tar:
        assert tar.extractfile("a.txt").read() == b"new bytes\n"
