"""``python -m inference serve``: argument errors as one ERROR line, and the renamed package runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from builder.layout import handler_files
from inference.__main__ import main

REPO = Path(__file__).resolve().parents[2]


def test_missing_model_is_one_error_line_and_exit_1(tmp_path, capsys):
    assert main(["serve", "--model-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ERROR: ") and "model.bin" in err[0]


@pytest.mark.parametrize("argv, message", [
    (["--workers", "0"], "--workers"),
    (["--max-queue", "-1"], "--max-queue"),
    (["--port", "eighty"], "--port"),
    (["--colour"], "unrecognized"),
])
def test_usage_errors_exit_2(model_dir, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--model-dir", str(model_dir), *argv])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_a_bad_environment_value_is_a_runtime_error_naming_it(model_dir, capsys, monkeypatch):
    monkeypatch.setenv("WHISPER_MAX_AUDIO_S", "forever")
    assert main(["serve", "--model-dir", str(model_dir)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ERROR: WHISPER_MAX_AUDIO_S must be a number")


def test_no_command_is_a_usage_error():
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2


def test_runs_as_whisper_inference_from_a_code_dir(tmp_path):
    package = REPO / "inference"
    for path in handler_files(package):  # what the artifact's code/ holds
        (tmp_path / "whisper_inference" / path.relative_to(package)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, tmp_path / "whisper_inference" / path.relative_to(package))
    proc = subprocess.run([sys.executable, "-m", "whisper_inference", "serve", "--model-dir", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and proc.stderr.startswith("ERROR: "), proc.stderr
    help_ = subprocess.run([sys.executable, "-m", "whisper_inference", "serve", "--help"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert help_.returncode == 0 and "python -m whisper_inference" in help_.stdout
    # The asynchronous emulation is local-only: asked for in code/, it is a usage error that says so.
    emulated = subprocess.run([sys.executable, "-m", "whisper_inference", "serve", "--model-dir", str(tmp_path),
                               "--async-output-path", "s3://bucket/out"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert emulated.returncode == 2 and "emulated only by the local server" in emulated.stderr, emulated.stderr
