"""Get CTranslate2 Whisper weights: from the Hugging Face Hub (cached) or a local directory.

Downloads go through ``huggingface_hub.snapshot_download`` with the same
allow-patterns faster-whisper uses, so the Hub cache (``HF_HUB_CACHE``) is
shared with faster-whisper, ``HF_TOKEN`` works and ``HF_HUB_OFFLINE=1`` builds
from the cache alone. Every file is then checked against the Hub's record of
it: the pinned digests in :mod:`builder.models`, the Hub's file metadata when
online, and the cache's own blob names (the Hub's ETag: SHA-256 for LFS files,
the git blob SHA-1 otherwise) when offline.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from .errors import BuilderError
from .layout import model_files
from .models import ALLOW_PATTERNS, REQUIRED_FILES, FileDigest

logger = logging.getLogger(__name__)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SHA1 = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class FetchedModel:
    """A local CTranslate2 Whisper directory and where it came from."""

    path: Path
    repo: str | None
    revision: str | None


def validate_model_dir(path: Path) -> Path:
    """Check that ``path`` is a CTranslate2 Whisper model faster-whisper can load.

    Raises:
        BuilderError: a required file is missing or is not what faster-whisper expects.
    """
    if not path.is_dir():
        raise BuilderError(f"model directory {path} does not exist")
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if not any(path.glob("vocabulary.*")):
        missing.append("vocabulary.*")
    if missing:
        raise BuilderError(f"{path} is not a CTranslate2 Whisper model: missing {', '.join(missing)}")
    with open(path / "model.bin", "rb") as handle:
        header = handle.read(64)
    try:
        (length,) = struct.unpack_from("<H", header, 4)
        spec = header[6:6 + length].rstrip(b"\0").decode("ascii")
    except (struct.error, UnicodeDecodeError):
        spec = ""
    if spec != "WhisperSpec":
        raise BuilderError(f"{path}/model.bin is not a CTranslate2 Whisper model (spec {spec or 'unreadable'!r})")
    try:
        json.loads((path / "config.json").read_text())
    except (ValueError, UnicodeDecodeError) as error:
        raise BuilderError(f"{path}/config.json is not valid JSON: {error}") from None
    return path


def _digests(path: Path) -> tuple[str, str]:
    """(sha256, git blob sha1) of a file in one read."""
    sha256, sha1 = hashlib.sha256(), hashlib.sha1()
    sha1.update(b"blob %d\0" % path.stat().st_size)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha256.update(block)
            sha1.update(block)
    return sha256.hexdigest(), sha1.hexdigest()


def _hub_records(repo: str, revision: str, token: str | None) -> dict[str, dict]:
    """The Hub's own size/sha256/blob id per file at ``revision`` (online only)."""
    from huggingface_hub import HfApi

    info = HfApi().model_info(repo, revision=revision, files_metadata=True, token=token)
    records = {}
    for sibling in info.siblings or []:
        lfs = getattr(sibling, "lfs", None)
        records[sibling.rfilename] = {
            "size": sibling.size,
            "sha256": getattr(lfs, "sha256", None) if lfs else None,
            "sha1": None if lfs else sibling.blob_id,
        }
    return records


def verify_files(path: Path, pinned: dict[str, FileDigest], hub: dict[str, dict] | None = None) -> None:
    """Compare every model file with what the Hub recorded for it.

    Raises:
        BuilderError: a file's size or hash differs from the record.
    """
    for file in model_files(path):
        expected = dict(size=None, sha256=None, sha1=None)
        if file.name in pinned:
            expected.update(size=pinned[file.name].size, sha256=pinned[file.name].sha256)
        for key, value in (hub or {}).get(file.name, {}).items():
            expected[key] = expected[key] or value
        blob = file.resolve().name if file.is_symlink() else ""
        if _SHA256.match(blob):
            expected["sha256"] = expected["sha256"] or blob
        elif _SHA1.match(blob):
            expected["sha1"] = expected["sha1"] or blob
        size = file.stat().st_size
        if expected["size"] is not None and size != expected["size"]:
            raise BuilderError(f"{file.name} is {size} bytes, the Hub recorded {expected['size']}: "
                               "delete it from the Hugging Face cache and build again")
        if not (expected["sha256"] or expected["sha1"]):
            logger.warning("%s: no recorded hash to verify against", file.name)
            continue
        sha256, sha1 = _digests(file)
        if (expected["sha256"] and sha256 != expected["sha256"]) or (expected["sha1"] and sha1 != expected["sha1"]):
            raise BuilderError(f"{file.name} does not match the Hub's recorded hash (corrupt or tampered): "
                               "delete it from the Hugging Face cache and build again")


def fetch_from_hub(repo: str, revision: str, *, pinned: dict[str, FileDigest] | None = None,
                   cache_dir: Path | None = None, token: str | None = None,
                   offline: bool | None = None) -> FetchedModel:
    """Download (or reuse from the cache) ``repo`` at ``revision`` and verify it.

    Args:
        repo: Hub repository id, e.g. ``Systran/faster-whisper-tiny.en``.
        revision: commit id, branch or tag; the result records the resolved commit.
        pinned: digests known in advance (from :mod:`builder.models`).
        cache_dir: Hub cache; defaults to ``HF_HUB_CACHE``.
        token: Hub token; defaults to ``HF_TOKEN`` / the saved login.
        offline: use the cache only; defaults to ``HF_HUB_OFFLINE``.

    Raises:
        BuilderError: unknown repo or revision, gated repo, not cached while offline,
            network failure, or a file that fails verification.
    """
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub import errors as hub_errors

    offline = constants.HF_HUB_OFFLINE if offline is None else offline
    try:
        snapshot = Path(snapshot_download(
            repo, revision=revision, allow_patterns=list(ALLOW_PATTERNS), cache_dir=cache_dir,
            token=token, local_files_only=offline,
        ))
        hub = None if offline else _hub_records(repo, snapshot.name, token)
    except hub_errors.GatedRepoError:
        raise BuilderError(f"{repo} is gated: accept its terms on the Hub and set HF_TOKEN") from None
    except hub_errors.RevisionNotFoundError:
        raise BuilderError(f"revision {revision!r} not found in {repo}") from None
    except hub_errors.RepositoryNotFoundError:
        raise BuilderError(f"Hugging Face repo {repo!r} not found (if it is private, set HF_TOKEN)") from None
    except (hub_errors.LocalEntryNotFoundError, hub_errors.OfflineModeIsEnabled):
        where = cache_dir or constants.HF_HUB_CACHE
        if offline:
            raise BuilderError(f"{repo}@{revision} is not in the Hugging Face cache ({where}) and offline "
                               "mode is on: build once online, or unset HF_HUB_OFFLINE") from None
        raise BuilderError(f"cannot reach the Hugging Face Hub and {repo}@{revision} is not in the cache "
                           f"({where}): check the network or HF_ENDPOINT") from None
    except hub_errors.HfHubHTTPError as error:
        raise BuilderError(f"cannot download {repo}@{revision}: {str(error).splitlines()[0]}") from None
    validate_model_dir(snapshot)
    verify_files(snapshot, pinned or {}, hub)
    return FetchedModel(snapshot, repo, snapshot.name)


def use_local_dir(path: Path) -> FetchedModel:
    """Validate a local CTranslate2 Whisper directory given with ``--model-dir``."""
    return FetchedModel(validate_model_dir(path.expanduser().resolve()), None, None)
