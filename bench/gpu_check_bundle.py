"""What ``bench/gpu_check.sh`` needs on a GPU machine that has no network, within what one call carries.

The device tool carries the working tree plus named ignored paths, 64 MiB in all, to a
machine with CPython 3.12, NumPy, tokenizers, huggingface-hub and onnxruntime but no
CTranslate2. Carried as they are, the CTranslate2 4.6 wheel (37 MiB) and tiny.en (72 MiB
of float16) do not fit, so the bundle holds:

- ``site.tar.xz``: the artifact's own runtime wheels (``builder.wheels``, pinned with
  their hashes in ``builder/wheels.lock``, for CPython 3.12 manylinux), unpacked (a wheel
  is a zip; these need no install step), plus a stand-in for PyAV, which faster-whisper
  imports at start but the handler never needs for WAV bodies (PyAV's wheel alone is
  about 30 MiB);
- ``data.tar.xz``: ``testdata/models/tiny.en`` re-quantised to int8 by CTranslate2's own
  spec code (weights become int8 with per-row scales; CTranslate2 turns them back into
  float16 on load when asked) and ``testdata/speech``.
"""

from __future__ import annotations

import hashlib
import io
import lzma
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
BUNDLE_DIR = ".gpu-bundle"  # ignored by .gitignore, named in the run tool's carry list
CARRY_LIMIT = 64 * 2**20
RUNTIME = ("ctranslate2", "faster-whisper", "soundfile", "soxr", "cffi", "pycparser")
MODEL_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")
_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")  # CTranslate2's type ids, in order
AV_STANDIN = '''"""Stand-in for PyAV on the GPU check machine: faster-whisper imports it; WAV bodies never use it."""


def open(*args, **kwargs):  # noqa: A001 - PyAV's name
    raise ImportError("PyAV is not carried to the GPU check machine")
'''


def runtime_wheels() -> list[Path]:
    """The artifact's own wheels (``builder.wheels``: cp312 manylinux, checked against the lock's
    SHA-256, cached once) for the packages the GPU machine lacks."""
    from builder.wheels import ensure_wheels, normalise

    wheels = [w for w in ensure_wheels() if normalise(w.name.split("-")[0]) in RUNTIME]
    if sorted(normalise(w.name.split("-")[0]) for w in wheels) != sorted(RUNTIME):
        raise RuntimeError(f"the locked wheels lack some of {', '.join(RUNTIME)}: {[w.name for w in wheels]}")
    return wheels


def unpack_wheels(wheels: list[Path], site: Path) -> None:
    """Install by unzipping: ``*.data/purelib`` and ``platlib`` go to the top, like pip's ``--target``."""
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(site)
        for data in site.glob("*.data"):
            for kind in ("purelib", "platlib"):
                for item in (data / kind).glob("*"):
                    shutil.move(str(item), site / item.name)
            shutil.rmtree(data)
    (site / "av").mkdir()
    (site / "av" / "__init__.py").write_text(AV_STANDIN)


def read_ct2_model(path: Path) -> tuple[str, dict[str, np.ndarray], dict[str, str]]:
    """A CTranslate2 ``model.bin``: spec name, variables and aliases (the inverse of ``ModelSpec._serialize``)."""
    data = path.read_bytes()
    pos = 0

    def take(fmt: str):
        nonlocal pos
        (value,) = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return value

    def string() -> str:
        nonlocal pos
        size = take("H")
        pos += size
        return data[pos - size:pos - 1].decode()

    take("I")  # binary version
    name = string()
    take("I")  # spec revision
    variables = {}
    for _ in range(take("I")):
        var = string()
        shape = [take("I") for _ in range(take("B"))]
        dtype = np.dtype(_DTYPES[take("B")])
        size = take("I")
        variables[var] = np.frombuffer(data, dtype, size // dtype.itemsize, pos).reshape(shape)
        pos += size
    aliases = {}
    for _ in range(take("I")):
        alias = string()
        aliases[alias] = string()
    return name, variables, aliases


def quantize_whisper(src: Path, dst: Path, quantization: str = "int8") -> None:
    """Re-save a CTranslate2 Whisper model with its weights quantised by CTranslate2's own spec code."""
    from ctranslate2.specs import model_spec, whisper_spec

    name, variables, aliases = read_ct2_model(src / "model.bin")
    if name != "WhisperSpec":
        raise ValueError(f"{src} holds a {name}, not a Whisper model")

    def layers(side: str) -> int:
        return len({m.group(1) for k in variables if (m := re.match(rf"{side}/layer_(\d+)/", k))})

    spec = whisper_spec.WhisperSpec(layers("encoder"), int(variables["encoder/num_heads"]),
                                    layers("decoder"), int(variables["decoder/num_heads"]))

    def put(key: str, value) -> None:
        scope, attr = model_spec._parent_scope(key)
        setattr(model_spec.index_spec(spec, scope), attr, value)

    for key, value in variables.items():
        put(key, value)
    for alias, target in aliases.items():  # the value first, so that validation finds it set
        put(alias, variables[target])
    model_spec.LayerSpec.validate(spec)  # wraps values; the vocabulary check does not apply here
    for alias, target in aliases.items():
        put(alias, target)
    spec._quantize(quantization)
    dst.mkdir(parents=True, exist_ok=True)
    spec._serialize(str(dst / "model.bin"))
    for file in MODEL_FILES[:1] + MODEL_FILES[2:]:
        shutil.copy(src / file, dst / file)


XZ_PRESET = 6


def write_tar_xz(path: Path, root: Path, cache: Path | None = None) -> None:
    """``root``'s contents as an xz tarball (``tar -xJf`` unpacks it), file order and times fixed.

    Compressing the runtime wheels takes minutes on two cores and the tarball is the same byte for
    byte until its contents change, so with ``cache`` the result is kept there under the
    uncompressed tar's SHA-256 and a later bundle of the same contents is a copy.
    """
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for item in sorted(root.rglob("*")):
            info = tar.gettarinfo(str(item), str(item.relative_to(root)))
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            if item.is_file():
                with item.open("rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    if cache is None:
        path.write_bytes(lzma.compress(buffer.getvalue(), preset=XZ_PRESET))
        return
    digest = hashlib.sha256(buffer.getbuffer()).hexdigest()
    kept = cache / f"{path.name.removesuffix('.tar.xz')}-{digest}-xz{XZ_PRESET}.tar.xz"
    if not kept.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        partial = kept.with_name(f".{kept.name}.{os.getpid()}")
        partial.write_bytes(lzma.compress(buffer.getvalue(), preset=XZ_PRESET))
        partial.replace(kept)  # complete or absent, even with two builds at once
    shutil.copyfile(kept, path)


def tree_bytes(repo: Path = REPO) -> int:
    """What the device tool sends besides carried paths: tracked and untracked-not-ignored files."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=repo,
                            check=True, capture_output=True).stdout.split(b"\0")
    return sum((repo / f.decode()).stat().st_size for f in listed if f and (repo / f.decode()).is_file())


def build(out: Path, testdata: Path, cache: Path | None = None) -> dict[str, int]:
    """Write ``site.tar.xz`` and ``data.tar.xz`` into ``out`` (compressed once per contents in
    ``cache``, when given); their sizes in bytes."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp)
        unpack_wheels(runtime_wheels(), stage / "site")
        write_tar_xz(out / "site.tar.xz", stage / "site", cache)
        quantize_whisper(testdata / "models" / "tiny.en", stage / "data" / "testdata" / "models" / "tiny.en")
        shutil.copytree(testdata / "speech", stage / "data" / "testdata" / "speech")
        write_tar_xz(out / "data.tar.xz", stage / "data", cache)
    return {p.name: p.stat().st_size for p in sorted(out.glob("*.tar.xz"))}


def main(out: Path) -> int:
    from builder.cache import cache_root
    from builder.errors import BuilderError
    from replay.clips import testdata_root

    try:
        sizes = build(out, testdata_root(), cache_root() / "gpu-bundle")
    except (OSError, ValueError, RuntimeError, BuilderError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    tree = tree_bytes()
    total = tree + sum(sizes.values())
    for name, size in {**sizes, "working tree": tree}.items():
        print(f"{name:<14} {size / 2**20:6.1f} MiB")
    print(f"{'carried':<14} {total / 2**20:6.1f} MiB of {CARRY_LIMIT / 2**20:.0f} MiB; carry=[\"{BUNDLE_DIR}\"]")
    if total > CARRY_LIMIT:
        print(f"ERROR: the call would carry {total / 2**20:.1f} MiB, over the device limit", file=sys.stderr)
        return 1
    return 0
