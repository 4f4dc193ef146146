"""The one map from a Whisper model size to its CTranslate2 repository on the Hugging Face Hub.

The map lives in ``builder/pins.json``, which the Terraform module reads too
(to compute the same content key without running Python); this module turns
it into typed specs. Revisions are pinned to Hub commits so a size always
means the same bytes; where a file's size and SHA-256 are known from the Hub's
LFS records they are pinned too, so a download is verified even offline.
Stdlib only: ``plan`` imports this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuilderError

PINS_FILE = Path(__file__).with_name("pins.json")

# What faster-whisper itself downloads (faster_whisper.utils.download_model).
ALLOW_PATTERNS = (
    "config.json",
    "preprocessor_config.json",
    "model.bin",
    "tokenizer.json",
    "vocabulary.*",
)
# A directory missing any of these cannot be loaded by faster-whisper.
REQUIRED_FILES = ("config.json", "model.bin", "tokenizer.json")


@dataclass(frozen=True)
class FileDigest:
    """A file's size and SHA-256 as the Hub records them (``None``: not pinned here)."""

    size: int | None
    sha256: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    """One supported size: its Hub repository, pinned commit and known file digests."""

    size: str
    repo: str
    revision: str
    files: dict[str, FileDigest] = field(default_factory=dict)


def load_pins(path: Path = PINS_FILE) -> dict:
    """The pins document: ``artifact_format`` and ``models`` (size -> repo, revision, files)."""
    return json.loads(path.read_text())


def _specs(models: dict) -> dict[str, ModelSpec]:
    """Specs in the file's order (LCA's sizes first); an ``alias_of`` entry shares its target's pins."""
    specs = {}
    for size, entry in models.items():
        target = models[entry["alias_of"]] if "alias_of" in entry else entry
        files = {name: FileDigest(d.get("size"), d.get("sha256")) for name, d in target.get("files", {}).items()}
        specs[size] = ModelSpec(size, target["repo"], target["revision"], files)
    return specs


_PINS = load_pins()
# The artifact format's salt, part of every content key. It lives in pins.json (the
# Terraform module reads it there); bump it whenever the builder writes different
# bytes for the same inputs.
ARTIFACT_FORMAT: str = _PINS["artifact_format"]
MODELS: dict[str, ModelSpec] = _specs(_PINS["models"])
# Files of the inference package the endpoint never runs: left out of code/ and the content key.
LOCAL_ONLY: frozenset[str] = frozenset(_PINS["local_only"])


def model_spec(size: str) -> ModelSpec:
    """Return the spec for ``size``.

    Raises:
        BuilderError: ``size`` is not supported; the message lists the valid ones.
    """
    try:
        return MODELS[size]
    except KeyError:
        raise BuilderError(
            f"unknown model size {size!r}; valid sizes: {', '.join(MODELS)}"
        ) from None


def is_commit(revision: str) -> bool:
    """True for a full 40-hex Git commit id (an immutable revision)."""
    return len(revision) == 40 and all(c in "0123456789abcdef" for c in revision)
