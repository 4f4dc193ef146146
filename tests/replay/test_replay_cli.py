"""``python -m replay`` exit codes: usage errors 2 (argparse), runtime failures 1 with one ERROR line."""

from __future__ import annotations

import subprocess
import sys

import pytest
from replay_testlib import REPO

from replay.__main__ import main


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "replay", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("argv", [
    ["--calls", "2"],  # no target
    ["--url", "http://127.0.0.1:9", "--calls", "0"],
    ["--url", "http://127.0.0.1:9", "--speed", "0"],
    ["--url", "http://127.0.0.1:9", "--stagger", "-1"],
    ["--url", "http://127.0.0.1:9", "--endpoint-url", "http://x"],
    ["--url", "http://127.0.0.1:9", "--clips", "no-such-clip"],
    ["--url", "http://127.0.0.1:9", "--clips", ","],
    ["--url", "http://127.0.0.1:9", "--clips", "jfk", "--wav", "call.wav"],
])
def test_usage_errors_exit_2(argv, capsys, clips):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_runtime_failures_exit_1_with_one_error_line(tmp_path, clips):
    down = _cli("--url", "http://127.0.0.1:9", "--clips", "cards-001")
    assert down.returncode == 1
    assert down.stderr.startswith("ERROR: cannot reach http://127.0.0.1:9/ping")
    assert len(down.stderr.strip().splitlines()) == 1
    missing = _cli("--url", "http://127.0.0.1:9", "--wav", str(tmp_path / "none.wav"))
    assert missing.returncode == 1
    assert missing.stderr.strip().startswith("ERROR: no such call recording")
    assert len(missing.stderr.strip().splitlines()) == 1
