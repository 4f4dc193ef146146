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


# Files that take minutes of real time whatever the CPU: the apply lives (the provider polls each
# new S3 lifecycle configuration for ~55 s, as on AWS) and the demo (a call streamed in real
# time). They start first, so the other worker's CPU-bound files fill the time they wait, and
# none of them is left running alone at the end.
LONG_FILES = ("tests/terraform/test_terraform_apply.py", "tests/e2e/test_demo.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    root = Path(__file__).parent
    for item in items:
        area = item.path.relative_to(root).parts[0]
        if area in AREA_MARKERS:
            item.add_marker(area)
    # The order pytest_xdist_make_scheduler hands files out in: the long ones, then the rest,
    # most tests first (as xdist orders them); the sort keeps each file's own order.
    per_file: dict[Path, int] = {}
    for item in items:
        per_file[item.path] = per_file.get(item.path, 0) + 1

    def rank(item: pytest.Item) -> tuple[int, int]:
        name = item.path.relative_to(root.parent).as_posix()
        return (LONG_FILES.index(name) if name in LONG_FILES else len(LONG_FILES), -per_file[item.path])

    items.sort(key=rank)


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`make test` runs two workers (pytest-xdist), each taking a whole test file at a time.

    xdist's ``--dist loadfile``, whatever the command line says: a file's module fixtures (a
    demo run, a built wheel, a model server) are made once. Files go out in the order
    pytest_collection_modifyitems leaves them in, long ones first, not xdist's most-tests-first.
    """
    from xdist.scheduler import LoadFileScheduling

    config.option.loadscopereorder = False
    return LoadFileScheduling(config, log)


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
