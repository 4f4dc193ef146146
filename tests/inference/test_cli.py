"""``python -m inference serve``: argument errors as one ERROR line, and the renamed package runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from inference.__main__ import main

REPO = Path(__file__).resolve().parents[2]


def test_missing_model_is_one_error_line(tmp_path, capsys):
    assert main(["serve", "--model-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ERROR: ") and "model.bin" in err[0]


def test_bad_workers_and_queue(model_dir, capsys):
    assert main(["serve", "--model-dir", str(model_dir), "--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err
    assert main(["serve", "--model-dir", str(model_dir), "--max-queue", "-1"]) == 2
    assert "--max-queue" in capsys.readouterr().err


def test_no_command_is_a_usage_error():
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2


def test_runs_as_whisper_inference_from_a_code_dir(tmp_path):
    shutil.copytree(REPO / "inference", tmp_path / "whisper_inference", ignore=shutil.ignore_patterns("__pycache__"))
    proc = subprocess.run([sys.executable, "-m", "whisper_inference", "serve", "--model-dir", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.startswith("ERROR: "), proc.stderr
    help_ = subprocess.run([sys.executable, "-m", "whisper_inference", "serve", "--help"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert help_.returncode == 0 and "python -m whisper_inference" in help_.stdout
