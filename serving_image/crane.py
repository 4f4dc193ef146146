"""Derive the serving image in a registry with ``crane`` (go-containerregistry): no Docker daemon.

One ``crane mutate`` reads the base image's manifest and config, appends our layer, sets the
label, entrypoint, command and environment, and pushes the result to the new tag. Only the new
layer is uploaded; the base's layers are copied registry to registry (mounted within one
registry, as ECR does for its repositories).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import spec
from .layer import write_layer

logger = logging.getLogger(__name__)

# scripts/crane builds the pinned crane on first use; outside a checkout, crane on PATH.
REPO_CRANE = Path(__file__).resolve().parents[1] / "scripts" / "crane"


class ImageBuildError(Exception):
    """A failure the user can act on (no crane, an unreadable base, a refused push)."""


@dataclass(frozen=True)
class Target:
    """What to build: the base image, the tag to push, and how to reach the registries."""

    base: str
    tag: str
    platform: str = "linux/amd64"  # SageMaker's GPU instances
    insecure: bool = False


def default_crane() -> str:
    """``scripts/crane`` of this checkout, else ``crane`` on PATH.

    Raises:
        ImageBuildError: neither exists.
    """
    if REPO_CRANE.is_file():
        return str(REPO_CRANE)
    found = shutil.which("crane")
    if not found:
        raise ImageBuildError("crane not found: install go-containerregistry's crane "
                              "(go install github.com/google/go-containerregistry/cmd/crane@v0.22.1) or pass --crane")
    return found


def mutate_command(crane: str, target: Target, layer: Path) -> list[str]:
    """The ``crane mutate`` command line that makes ``target.tag`` from ``target.base``."""
    command = [crane, "mutate", target.base, "--platform", target.platform, "--append", str(layer),
               "--entrypoint", ",".join(spec.ENTRYPOINT), "--cmd", ",".join(spec.CMD), "--tag", target.tag]
    for key, value in spec.LABELS.items():
        command += ["--label", f"{key}={value}"]
    for key, value in spec.ENV.items():
        command += ["--env", f"{key}={value}"]
    if target.insecure:
        command.append("--insecure")
    return command


def _run(command: list[str]) -> str:
    logger.debug("running %s", " ".join(command))
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise ImageBuildError(f"cannot run {command[0]}: {exc}") from exc
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()
        raise ImageBuildError(f"crane {command[1]} failed: {detail[-1] if detail else f'exit {result.returncode}'}")
    return result.stdout.strip()


def build(target: Target, crane: str | None = None) -> str:
    """Push the serving image to ``target.tag`` and return its reference by digest (REPO@sha256:...).

    Raises:
        ImageBuildError: crane is missing or failed.
    """
    crane = crane or default_crane()
    with tempfile.TemporaryDirectory(prefix="serving-image-") as scratch:
        layer = write_layer(Path(scratch) / "layer.tar")
        _run(mutate_command(crane, target, layer))
    flags = ["--insecure"] if target.insecure else []
    digest = _run([crane, "digest", target.tag, *flags])
    repository = target.tag.rsplit(":", 1)[0] if ":" in target.tag.rsplit("/", 1)[-1] else target.tag
    return f"{repository}@{digest}"
