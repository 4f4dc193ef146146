"""The one map from a Whisper model size to its CTranslate2 repository on the Hugging Face Hub.

Every other part of the project (the CLI, ``plan``, the Terraform module's
allowed values) reads sizes from here. Revisions are pinned to Hub commits so
a size always means the same bytes; where a file's size and SHA-256 are known
from the Hub's LFS records they are pinned too, so a download is verified even
offline. Stdlib only: ``plan`` imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import BuilderError

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


# Revisions are Hub commit hashes as they appear in public snapshot paths and
# pinned download scripts; digests where public pins quote them.
_TINY_EN_FILES = {
    "model.bin": FileDigest(75537502, "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
    "config.json": FileDigest(2317, "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
    "tokenizer.json": FileDigest(2128466, "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
    "vocabulary.txt": FileDigest(422309, "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
}
_BASE_EN_FILES = {
    "model.bin": FileDigest(145216508, "2a166925539a16005f14ff328359f9b9adb9dc4fb631bb3b227526862e93e2ef"),
    "config.json": FileDigest(2227, "f3bc3821e9fc76a27bae538e11ae5b677dcdd352b4600429ce7951d398569aeb"),
    "tokenizer.json": FileDigest(2128466, "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
    "vocabulary.txt": FileDigest(422309, "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
}

MODELS: dict[str, ModelSpec] = {
    spec.size: spec
    for spec in (
        ModelSpec("tiny", "Systran/faster-whisper-tiny", "d90ca5fe260221311c53c58e660288d3deb8d356"),
        ModelSpec("tiny.en", "Systran/faster-whisper-tiny.en", "0d3d19a32d3338f10357c0889762bd8d64bbdeba",
                  _TINY_EN_FILES),
        ModelSpec("base", "Systran/faster-whisper-base", "ebe41f70d5b6dfa9166e2c581c45c9c0cfc57b66"),
        ModelSpec("base.en", "Systran/faster-whisper-base.en", "3d3d5dee26484f91867d81cb899cfcf72b96be6c",
                  _BASE_EN_FILES),
        ModelSpec("small", "Systran/faster-whisper-small", "536b0662742c02347bc0e980a01041f333bce120",
                  {"model.bin": FileDigest(
                      483546902, "3e305921506d8872816023e4c273e75d2419fb89b24da97b4fe7bce14170d671")}),
        ModelSpec("small.en", "Systran/faster-whisper-small.en", "d1d751a5f8271d482d14ca55d9e2deeebbae577f"),
        ModelSpec("medium", "Systran/faster-whisper-medium", "08e178d48790749d25932bbc082711ddcfdfbc4f",
                  {"model.bin": FileDigest(
                      None, "9b45e1009dcc4ab601eff815b61d80e60ce3fd8c74c1a14f4a282258286b51ae")}),
        ModelSpec("medium.en", "Systran/faster-whisper-medium.en", "a29b04bd15381511a9af671baec01072039215e3"),
        ModelSpec("large-v1", "Systran/faster-whisper-large-v1", "b07c8d4be0be90092aa01a29c975077acb8d15c9"),
        ModelSpec("large-v2", "Systran/faster-whisper-large-v2", "f0fe81560cb8b68660e564f55dd99207059c092e"),
        ModelSpec("large-v3", "Systran/faster-whisper-large-v3", "edaa852ec7e145841d8ffdb056a99866b5f0a478",
                  {"model.bin": FileDigest(
                      3087284237, "69f74147e3334731bc3a76048724833325d2ec74642fb52620eda87352e3d4f1"),
                   "config.json": FileDigest(2394), "preprocessor_config.json": FileDigest(340),
                   "tokenizer.json": FileDigest(2480617), "vocabulary.json": FileDigest(1068114)}),
        ModelSpec("large-v3-turbo", "mobiuslabsgmbh/faster-whisper-large-v3-turbo",
                  "0a363e9161cbc7ed1431c9597a8ceaf0c4f78fcf",
                  {"model.bin": FileDigest(
                      1617884929, "e76620f83d5f5b69efd3d87e3dc180c1bd21df9fbebacfd4335e5e1efcc018da")}),
        ModelSpec("distil-large-v3", "Systran/faster-distil-whisper-large-v3",
                  "c3058b475261292e64a0412df1d2681c06260fab"),
    )
}
# LCA's stack offers "large" and means large-v2 (faster-whisper < 1.1 did too;
# 1.1+ maps it to large-v3). Keeping LCA's meaning keeps its endpoints unchanged.
MODELS["large"] = ModelSpec("large", MODELS["large-v2"].repo, MODELS["large-v2"].revision,
                            MODELS["large-v2"].files)
# LCA's order first (its WhisperModelSize list), then the extras.
MODELS = {size: MODELS[size] for size in (
    "tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
    "large", "large-v1", "large-v2", "large-v3", "large-v3-turbo", "distil-large-v3")}


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
