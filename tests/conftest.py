"""Fixtures shared by every test: the real tiny.en model (and base, the second one) and real speech clips.

Both are installed by ``scripts/setup.sh`` (``make test`` runs it); a missing
cache is a broken setup, so it fails loudly instead of skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from replay.clips import SpeechClip, base_model_dir, default_model_dir, load_clips

# Tests in these folders carry the marker of the same name (the quick tier, `make check`, leaves them out).
AREA_MARKERS = ("terraform", "e2e", "packaging", "image")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        area = item.path.relative_to(Path(__file__).parent).parts[0]
        if area in AREA_MARKERS:
            item.add_marker(area)


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`make test` runs two workers (pytest-xdist), each taking a whole unit at a time.

    A unit is a test file, so a module's fixtures (a demo run, a built wheel) are made once, except
    tests/terraform, one unit: its files share session fixtures (the HCL copies and their inits, the
    local AWS). Most of that folder waits on provider processes and the local AWS while the other
    worker's model runs use the CPU. xdist's own ``--dist loadgroup`` would say the same with
    markers, but it renames node ids in a way pytest 9 no longer reads.
    """
    from xdist.scheduler import LoadScopeScheduling

    class ByFileTerraformWhole(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "tests/terraform" if path.startswith("tests/terraform/") else path

    return ByFileTerraformWhole(config, log)


@pytest.fixture(scope="session")
def model_dir() -> Path:
    path = default_model_dir()
    if not (path / "model.bin").exists():
        pytest.fail(f"tiny.en model missing at {path}: run scripts/setup.sh (make test does)")
    return path


@pytest.fixture(scope="session")
def base_dir() -> Path:
    """The second model, Whisper base (``scripts/setup.sh test`` installs it; the demo does not)."""
    path = base_model_dir()
    if not (path / "model.bin").exists():
        pytest.fail(f"base model missing at {path}: run scripts/setup.sh test")
    return path


@pytest.fixture(scope="session")
def clips() -> list[SpeechClip]:
    try:
        return load_clips()
    except FileNotFoundError as exc:
        pytest.fail(f"{exc} (make test does)")


@pytest.fixture(scope="session")
def jfk(clips: list[SpeechClip]) -> SpeechClip:
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
