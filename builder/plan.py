"""The artifact's content key, computed cheaply and offline before anything is built.

The key is the SHA-256 of every input that shapes the artifact's bytes: the
model (Hub repo + commit, or a local directory's file hashes), the handler's
Python files, the requirements and the wheel lock, the layout options and the
artifact format's salt. Because builds are byte-reproducible, equal keys mean
equal artifacts: the S3 key ``PREFIX/<content key>/model.tar.gz`` names the
content (the terraform-aws-lambda ``package.py`` pattern). The Terraform module
computes the same key in HCL from the same files (``jsonencode`` + ``sha256``,
see ``modules/whisper_sagemaker/modules/content_key``), so a plan needs no
Python and no extra provider: keep :func:`canonical_json` and that module in
step. Stdlib only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from . import ARTIFACT_FORMAT, layout, wheels
from .digest import sha256_file
from .errors import BuilderError
from .models import is_commit, model_spec

LAYOUTS = ("tar.gz", "uncompressed")
WHEEL_MODES = ("vendor", "none")


@dataclass(frozen=True)
class Selection:
    """What to build: exactly one of ``model_size``, ``model_dir``, ``hf_repo``, plus options."""

    model_size: str | None = None
    model_dir: Path | None = None
    hf_repo: str | None = None
    revision: str | None = None
    handler_dir: Path | None = None
    wheels: str = "vendor"
    layout: str = "tar.gz"
    gzip_level: int = 0

    def validate(self) -> None:
        """Raises BuilderError when the selection is contradictory."""
        chosen = [x for x in (self.model_size, self.model_dir, self.hf_repo) if x]
        if len(chosen) != 1:
            raise BuilderError("choose exactly one of --model-size, --model-dir, --hf-repo")
        if self.revision and self.model_dir:
            raise BuilderError("--revision applies to the Hub, not to --model-dir")
        if self.wheels not in WHEEL_MODES:
            raise BuilderError(f"--wheels must be one of {', '.join(WHEEL_MODES)}")
        if self.layout not in LAYOUTS:
            raise BuilderError(f"--layout must be one of {', '.join(LAYOUTS)}")
        if not 0 <= self.gzip_level <= 9:
            raise BuilderError("--gzip-level must be 0-9")
        if self.model_size:
            model_spec(self.model_size)

    def hub_source(self) -> tuple[str, str]:
        """(repo, revision) for a Hub selection; revision may be a branch for --hf-repo."""
        if self.model_size:
            spec = model_spec(self.model_size)
            return spec.repo, self.revision or spec.revision
        return self.hf_repo, self.revision or "main"


def model_inputs(selection: Selection, resolved_revision: str | None = None) -> dict:
    """The model part of the key: Hub repo + commit, or a local directory's file hashes."""
    if selection.model_dir:
        files = layout.model_files(selection.model_dir)
        return {"kind": "dir", "files": {p.name: sha256_file(p) for p in files}}
    repo, revision = selection.hub_source()
    revision = resolved_revision or revision
    if not is_commit(revision):
        raise BuilderError(f"revision {revision!r} of {repo} is a branch or tag, which can move: "
                           "pass --revision with a 40-hex commit id to get a stable key")
    return {"kind": "hub", "repo": repo, "revision": revision}


def content_inputs(selection: Selection, resolved_revision: str | None = None) -> dict:
    """Everything that shapes the artifact's bytes, as a JSON-able dict.

    Only what the endpoint runs counts: the handler's Python files (not its
    docs), the requirements the container installs and the wheel lock. What the
    builder's own code writes (``code/inference.py``, the requirements header,
    the wheels left to the image) is covered by the artifact format's salt.
    """
    model = model_inputs(selection, resolved_revision)  # first: its errors are the likelier ones
    handler_dir = selection.handler_dir or layout.default_handler_dir()
    handler = {p.relative_to(handler_dir).as_posix(): sha256_file(p) for p in layout.handler_files(handler_dir)}
    inputs = {
        "artifact_format": ARTIFACT_FORMAT,
        "model": model,
        "handler": handler,
        "layout": selection.layout,
        "gzip_level": selection.gzip_level if selection.layout == "tar.gz" else None,
        "wheels": None,
    }
    if selection.wheels == "vendor":
        inputs["wheels"] = {"lock": sha256_file(wheels.LOCK_FILE),
                            "requirements": sha256_file(wheels.REQUIREMENTS_IN)}
    return inputs


# What Go's encoding/json (behind HCL's jsonencode) escapes that Python's json.dumps does not.
_GO_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                             "\u2028": "\\u2028", "\u2029": "\\u2029"})


def canonical_json(value: object) -> str:
    """JSON exactly as HCL's ``jsonencode`` writes it: sorted keys, no spaces, UTF-8, Go's escapes.

    The inputs hold strings, integers and null only (the two sides format floats differently).
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.translate(_GO_ESCAPES)


def key_of(inputs: dict) -> str:
    """SHA-256 hex of the canonical JSON of content inputs."""
    return hashlib.sha256(canonical_json(inputs).encode()).hexdigest()


def content_key(selection: Selection, resolved_revision: str | None = None) -> str:
    """The content key of :func:`content_inputs`."""
    return key_of(content_inputs(selection, resolved_revision))


def s3_base(prefix: str, key: str) -> str:
    """``PREFIX/<key>``: the folder holding the artifact and its manifest.json."""
    return f"{prefix.strip('/')}/{key}" if prefix.strip("/") else key


def s3_key(prefix: str, key: str, layout_name: str) -> str:
    """``PREFIX/<key>/model.tar.gz``, or the ``PREFIX/<key>/model/`` prefix when uncompressed."""
    base = s3_base(prefix, key)
    return f"{base}/model.tar.gz" if layout_name == "tar.gz" else f"{base}/model/"


def plan(selection: Selection, bucket: str | None = None, prefix: str = "whisper") -> dict[str, str]:
    """One flat dict of strings naming the artifact a build would produce (hashes each input once)."""
    selection.validate()
    inputs = content_inputs(selection)
    key = key_of(inputs)
    model = inputs["model"]
    result = {
        "content_key": key,
        "s3_key": s3_key(prefix, key, selection.layout),
        "layout": selection.layout,
        "artifact_format": ARTIFACT_FORMAT,
        "model_size": selection.model_size or "",
        "repo": model.get("repo", ""),
        "revision": model.get("revision", ""),
    }
    result["s3_uri"] = f"s3://{bucket}/{result['s3_key']}" if bucket else ""
    return result
