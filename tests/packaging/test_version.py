"""One version number: pyproject.toml's, which the installed metadata, every command line's
``--version``, the changelog's newest release and the docs' module source pins all repeat."""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?")
# `python -m <module>` and the console script pyproject.toml names for it (bench is not installed).
CLIS = {"builder": "whisper-builder", "inference": "whisper-inference", "client": "whisper-transcribe",
        "replay": "whisper-replay", "demo": "whisper-demo", "bench": None}
# Documents that must show a user how to pin the module (`?ref=v<version>`).
PINNED_DOCS = ("README.md", "docs/UPGRADE.md", "modules/whisper_sagemaker/README.md")
REF_PIN = re.compile(r"\?ref=(v?\d[^\s\"'`)>&]*)")  # a concrete version, not v<version>


def _run(argv: list[str], cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_version_is_semantic():
    assert SEMVER.fullmatch(VERSION), VERSION


def test_the_installed_metadata_is_pyprojects():
    # Stale after a version change until scripts/setup.sh (make setup) reinstalls the project.
    assert importlib.metadata.version("whisper-sagemaker") == VERSION


@pytest.mark.parametrize("module", CLIS)
def test_every_command_line_prints_the_version(module):
    commands = [[sys.executable, "-m", module, "--version"]]
    if CLIS[module]:
        commands.append([str(Path(sys.executable).parent / CLIS[module]), "--version"])
    for command in commands:
        proc = _run(command)
        assert proc.returncode == 0, (command, proc.stderr)
        assert proc.stdout.strip().endswith(f"(whisper-sagemaker {VERSION})"), (command, proc.stdout)


def test_the_builder_prints_its_artifact_format_apart():
    from builder import ARTIFACT_FORMAT

    proc = _run([sys.executable, "-m", "builder", "--artifact-format"])
    assert proc.returncode == 0 and proc.stdout.strip() == ARTIFACT_FORMAT, proc


def test_a_checkout_never_installed_reads_pyproject_and_a_bare_copy_says_unknown(tmp_path):
    # -S: no site-packages, so the installed distribution's metadata cannot answer.
    (tmp_path / "inference").mkdir()
    shutil.copy(REPO / "inference" / "command_line.py", tmp_path / "inference" / "command_line.py")
    probe = [sys.executable, "-S", "-c",
             "from inference.command_line import package_version; print(package_version())"]
    assert _run(probe, cwd=tmp_path).stdout.strip() == "unknown"
    (tmp_path / "pyproject.toml").write_text('[build-system]\nversion = "0.0.1"\n\n[project]\nname = "x"\n'
                                             'version = "7.8.9"\n\n[tool.x]\nversion = "0.0.2"\n')
    assert _run(probe, cwd=tmp_path).stdout.strip() == "7.8.9"


def test_the_changelogs_newest_release_is_the_version():
    releases = re.findall(r"^## \[([^\]]+)\]", (REPO / "CHANGELOG.md").read_text(), re.M)
    assert [r for r in releases if r != "Unreleased"][0] == VERSION, releases


def _tracked(*patterns: str) -> list[Path]:
    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", *patterns],
                           cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
    return [REPO / n for n in names if n and (REPO / n).is_file()]


def test_every_module_source_pin_is_this_version():
    pins = {path.relative_to(REPO).as_posix(): REF_PIN.findall(path.read_text())
            for path in _tracked("*.md", "*.tf")}
    for doc in PINNED_DOCS:
        assert pins[doc], f"{doc} shows no ?ref= pin"
    stale = {doc: refs for doc, refs in pins.items() if set(refs) - {f"v{VERSION}"}}
    assert stale == {}, f"every ?ref= must be v{VERSION}"
