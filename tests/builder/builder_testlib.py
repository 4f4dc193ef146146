"""Helpers shared by the builder tests: a Hub cache layout and a CLI runner."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from builder.models import MODELS

REPO_ROOT = Path(__file__).resolve().parents[2]
TINY_EN = MODELS["tiny.en"]
# Which tiny.en files the test cache stores as LFS blobs (named by SHA-256) and
# which as plain git blobs (named by git SHA-1), so both verification paths run.
LFS_FILES = {"model.bin", "tokenizer.json"}


def git_blob_sha1(path: Path) -> str:
    digest = hashlib.sha1(b"blob %d\0" % path.stat().st_size)
    digest.update(path.read_bytes())
    return digest.hexdigest()


def make_hf_cache(root: Path, model_dir: Path, revision: str = TINY_EN.revision) -> Path:
    """Lay out ``models--Systran--faster-whisper-tiny.en`` as huggingface_hub does."""
    repo = root / ("models--" + TINY_EN.repo.replace("/", "--"))
    (repo / "blobs").mkdir(parents=True)
    (repo / "refs").mkdir()
    snapshot = repo / "snapshots" / revision
    snapshot.mkdir(parents=True)
    for source in sorted(model_dir.iterdir()):
        blob = (hashlib.sha256(source.read_bytes()).hexdigest() if source.name in LFS_FILES
                else git_blob_sha1(source))
        shutil.copyfile(source, repo / "blobs" / blob)
        (snapshot / source.name).symlink_to(Path("..") / ".." / "blobs" / blob)
    (repo / "refs" / "main").write_text(revision)
    return root


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None,
            stdin: str | None = None) -> subprocess.CompletedProcess:
    """``python -m builder ARGS`` in a real subprocess (environment variables are read at import)."""
    full_env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    for key, value in (env or {}).items():  # None removes a variable
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    return subprocess.run([sys.executable, "-m", "builder", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd or REPO_ROOT, input=stdin, timeout=300)
