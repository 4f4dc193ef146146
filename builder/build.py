"""``build``: fetch, package, upload, record — skipping every step whose result already exists.

An unchanged rebuild is a no-op: the content key is computed first (no
download), then a local artifact with the manifest's SHA-256, or an S3 object
carrying that key, ends the build before the model is even fetched.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import archive, fetch, layout, manifest, plan, upload, wheels
from .digest import sha256_file
from .errors import BuilderError
from .models import is_commit, model_spec

logger = logging.getLogger(__name__)

TAR_NAME = "model.tar.gz"
DIR_NAME = "model"


@dataclass(frozen=True)
class Options:
    """How to run a build (as opposed to what to build: :class:`builder.plan.Selection`)."""

    output: Path
    destination: upload.Destination | None = None
    progress: bool = False
    hf_token: str | None = None
    offline: bool | None = None
    hf_cache: Path | None = None
    wheel_cache: Path | None = None


def _bar(total: int, description: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="B", unit_scale=True, unit_divisor=1024,
                disable=not enabled, leave=False)


def _tree_digest(root: Path) -> tuple[str, int, dict[str, str]]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    digests = {p.relative_to(root).as_posix(): sha256_file(p) for p in files}
    listing = "".join(f"{digest}  {name}\n" for name, digest in digests.items())
    return hashlib.sha256(listing.encode()).hexdigest(), sum(p.stat().st_size for p in files), digests


def _local_artifact(selection: plan.Selection, output: Path, key: str) -> tuple[str, int] | None:
    """(sha256, bytes) of a previous build of ``key`` in ``output`` that is still intact."""
    previous = manifest.read(output / manifest.FILE_NAME)
    if not previous or previous.get("content_key") != key:
        return None
    if selection.layout == "tar.gz":
        path = output / TAR_NAME
        if path.is_file() and sha256_file(path) == previous["artifact"]["sha256"]:
            return previous["artifact"]["sha256"], path.stat().st_size
    elif (output / DIR_NAME).is_dir():
        sha256, size, _ = _tree_digest(output / DIR_NAME)
        if sha256 == previous["artifact"]["sha256"]:
            return sha256, size
    return None


def _fetch(selection: plan.Selection, options: Options) -> fetch.FetchedModel:
    if selection.model_dir:
        return fetch.use_local_dir(selection.model_dir)
    repo, revision = selection.hub_source()
    pinned = model_spec(selection.model_size).files if selection.model_size and not selection.revision else {}
    return fetch.fetch_from_hub(repo, revision, pinned=pinned, cache_dir=options.hf_cache,
                                token=options.hf_token, offline=options.offline)


def _package(selection: plan.Selection, options: Options, model: fetch.FetchedModel,
             handler_dir: Path) -> tuple[str, int]:
    vendored = wheels.ensure_wheels(options.wheel_cache) if selection.wheels == "vendor" else None
    requirements = wheels.requirements_txt() if vendored else None
    items = layout.entries(model.path, handler_dir, vendored, requirements)
    total = sum(item.size for item in items)
    free = shutil.disk_usage(options.output if options.output.exists() else options.output.parent).free
    if free < total + (64 << 20):
        raise BuilderError(f"disk full: the artifact needs {total >> 20} MiB, {free >> 20} MiB free at "
                           f"{options.output}")
    with _bar(total, "package", options.progress) as bar:
        if selection.layout == "tar.gz":
            written = archive.write_tar_gz(items, options.output / TAR_NAME, gzip_level=selection.gzip_level,
                                           progress=bar.update)
            return written.sha256, written.bytes
        archive.write_directory(items, options.output / DIR_NAME, progress=bar.update)
    sha256, size, _ = _tree_digest(options.output / DIR_NAME)
    return sha256, size


def _upload(selection: plan.Selection, options: Options, s3, key: str, sha256: str, size: int) -> str:
    destination = options.destination
    target = plan.s3_key(destination.prefix, key, selection.layout)
    with _bar(size, "upload", options.progress) as bar:
        if selection.layout == "tar.gz":
            upload.upload_file(s3, destination, options.output / TAR_NAME, target, sha256=sha256,
                               content_key=key, callback=bar.update)
        else:
            _, _, digests = _tree_digest(options.output / DIR_NAME)
            for name, digest in digests.items():
                upload.upload_file(s3, destination, options.output / DIR_NAME / name, target + name,
                                   sha256=digest, content_key=key,
                                   content_type="application/octet-stream", callback=bar.update)
    return f"s3://{destination.bucket}/{target}"


def build(selection: plan.Selection, options: Options) -> dict:
    """Build (and upload, when ``options.destination`` is set) and return the manifest.

    Raises:
        BuilderError: any failure the user can act on; nothing partial is left behind.
    """
    selection.validate()
    handler_dir = selection.handler_dir or layout.default_handler_dir()
    selection = plan.Selection(**{**selection.__dict__, "handler_dir": handler_dir})
    destination = options.destination
    s3 = None
    if destination:
        s3 = upload.client(destination)
        upload.check_bucket(s3, destination)
    options.output.mkdir(parents=True, exist_ok=True)

    model = None
    repo = revision = None
    if not selection.model_dir:
        repo, revision = selection.hub_source()
        if not is_commit(revision):
            model = _fetch(selection, options)  # a branch: its commit is only known after resolving
            revision = model.revision
    key = plan.content_key(selection, revision)
    manifest_key = f"{plan.s3_base(destination.prefix, key)}/{manifest.FILE_NAME}" if destination else None

    local = _local_artifact(selection, options.output, key)
    remote = upload.get_json(s3, destination, manifest_key, key) if destination else None
    if local:
        logger.info("artifact %s is up to date in %s", key, options.output)
        sha256, size = local
    elif remote:
        logger.info("%s already holds artifact %s; nothing to build", destination.bucket, key)
        sha256, size = remote["artifact"]["sha256"], remote["artifact"]["bytes"]
    else:
        model = model or _fetch(selection, options)
        sha256, size = _package(selection, options, model, handler_dir)

    s3_uri = manifest_uri = None
    if destination:
        s3_uri = f"s3://{destination.bucket}/{plan.s3_key(destination.prefix, key, selection.layout)}"
        manifest_uri = f"s3://{destination.bucket}/{manifest_key}"
        if not remote:
            _upload(selection, options, s3, key, sha256, size)
    artifact_file = None
    if not remote or local:
        artifact_file = TAR_NAME if selection.layout == "tar.gz" else f"{DIR_NAME}/"
    document = manifest.make(
        content_key=key, model_size=selection.model_size, repo=repo, revision=revision,
        model_dir=str(selection.model_dir) if selection.model_dir else None, layout=selection.layout,
        wheels=selection.wheels, artifact_file=artifact_file, sha256=sha256, size=size,
        s3_uri=s3_uri, manifest_uri=manifest_uri,
    )
    if destination and not remote:
        upload.put_json(s3, destination, manifest_key, document, key)
    manifest.write(options.output / manifest.FILE_NAME, document)
    return document
