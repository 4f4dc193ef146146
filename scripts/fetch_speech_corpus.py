"""Fetch a larger real-speech corpus with references: Asterisk's US-English IVR prompts.

    python scripts/fetch_speech_corpus.py

Two Debian packages (fetched with ``apt-get download``, pinned by sha256, cached in
``<cache>/downloads``): ``asterisk-core-sounds-en-g722`` (566 recordings by Allison Smith,
16 kHz G.722, CC-BY-SA-3.0) and ``asterisk-core-sounds-en`` (their transcripts). Writes the
main set (top level, ``dictate/``, ``followme/``: speech only, at most 30 s) as 16 kHz mono
WAVs with ``corpus.json`` (``name``, ``file``, ``reference``, ``seconds``, ``source``,
``speaker``) to ``<cache>/testdata/corpus``, and telephone-band two-channel calls made
from them (``calls/*.wav``: stereo 8 kHz, 12 turns each, caller and agent alternating,
``calls/calls.json`` lists each turn's channel, times and reference: ``python -m replay
--wav`` plays them); nothing goes into the repository. Digits,
letters and the NATO alphabet are left out: single words whose spelling is a matter of
taste ("for" / "four", "c" / "See?"). A re-run with a complete cache does no network I/O.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import av
import numpy as np
import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from builder.cache import cache_root  # noqa: E402
from builder.digest import sha256_file  # noqa: E402
from replay.call_source import synthetic_call, write_call_wav  # noqa: E402
from replay.clips import SpeechClip  # noqa: E402

DOWNLOADS = {  # .deb -> sha256 (the values in Debian 12's Packages index), fetched with apt-get download
    "asterisk-core-sounds-en-g722_1.6.1-1_all.deb": "38c5261820b406dcb0ecb37675720da2b0864850690690352ca52707eb623806",
    "asterisk-core-sounds-en_1.6.1-1_all.deb": "973e797d28e37fa6ca3c0a9d6fa717e77cf1268ae916bf09fd3503113cdffa50",
}
SOURCE = ("Asterisk core sounds 1.6.1 (Debian asterisk-core-sounds-en-g722), recorded by Allison Smith, "
          "CC-BY-SA-3.0")
SOUNDS = "./usr/share/asterisk/sounds/en_US_f_Allison/"
TRANSCRIPTS = "./usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz"
MAX_SECONDS = 30.0
KEPT_FOLDERS = ("", "dictate/", "followme/")
TURNS_PER_CALL = 12
_ANNOTATION = re.compile(r"\[[^]]*\]|\([^)]*\)|<[^>]*>")


def download(name: str, dest_dir: Path) -> Path:
    """The pinned ``.deb`` in ``dest_dir``, fetched by Debian's own client when missing."""
    dest = dest_dir / name
    if dest.exists() and sha256_file(dest) == DOWNLOADS[name]:
        return dest
    dest_dir.mkdir(parents=True, exist_ok=True)
    package, version, _arch = name.removesuffix(".deb").split("_")
    print(f"fetch_speech_corpus: apt-get download {package}={version}", file=sys.stderr)
    with tempfile.TemporaryDirectory(dir=dest_dir) as tmp:
        apt_download(f"{package}={version}", Path(tmp))
        fetched = Path(tmp) / name
        got = sha256_file(fetched) if fetched.exists() else "nothing"
        if got != DOWNLOADS[name]:
            raise SystemExit(f"ERROR: {name}: sha256 {got} does not match the pinned {DOWNLOADS[name]}")
        fetched.replace(dest)
    return dest


def apt_download(spec: str, into: Path) -> None:
    """``apt-get download SPEC``; on a machine whose package lists are not there yet, update them once."""
    if shutil.which("apt-get") is None:
        raise SystemExit(f"ERROR: apt-get (Debian) is needed to fetch {spec}; or put the pinned .deb files "
                         f"({', '.join(DOWNLOADS)}) into {into.parent}")
    for attempt in ("first", "after update"):
        proc = subprocess.run(["apt-get", "download", spec], cwd=into, capture_output=True, text=True,
                              timeout=600)
        if proc.returncode == 0:
            return
        if attempt == "first":
            subprocess.run(["apt-get", "update"], capture_output=True, text=True, timeout=600)
    last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
    raise SystemExit(f"ERROR: apt-get download {spec} failed: {last}")


def deb_data(path: Path) -> tarfile.TarFile:
    """The ``data.tar.*`` member of a .deb (an ``ar`` archive), opened."""
    raw = path.read_bytes()
    if raw[:8] != b"!<arch>\n":
        raise SystemExit(f"ERROR: {path} is not a Debian package")
    pos = 8
    while pos < len(raw):
        name, size = raw[pos:pos + 16].decode().strip().rstrip("/"), int(raw[pos + 48:pos + 58])
        if name.startswith("data.tar"):
            return tarfile.open(fileobj=io.BytesIO(raw[pos + 60:pos + 60 + size]), mode="r:*")
        pos += 60 + size + (size & 1)
    raise SystemExit(f"ERROR: {path} has no data.tar member")


def references(text: str) -> dict[str, str]:
    """``key: transcript`` lines -> spoken references (annotations dropped, ``*``/``#`` said)."""
    out = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith(";") or ":" not in line:
            continue
        key, said = (part.strip() for part in line.split(":", 1))
        said = _ANNOTATION.sub(" ", said).replace("*", " star ").replace("#", " pound ")
        if any(ch.isalnum() for ch in said):  # all-annotation lines are tones, beeps, silence
            out[key] = " ".join(said.split())
    return out


def decode_g722(data: bytes) -> np.ndarray:
    with av.open(io.BytesIO(data), format="g722") as container:
        return np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]).astype(np.int16)


def install(downloads: Path, out: Path) -> int:
    with deb_data(download("asterisk-core-sounds-en_1.6.1-1_all.deb", downloads)) as tar:
        refs = references(gzip.decompress(tar.extractfile(TRANSCRIPTS).read()).decode())
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    with deb_data(download("asterisk-core-sounds-en-g722_1.6.1-1_all.deb", downloads)) as tar:
        for member in tar.getmembers():
            if not (member.isfile() and member.name.startswith(SOUNDS) and member.name.endswith(".g722")):
                continue
            key = member.name[len(SOUNDS):-len(".g722")]
            folder = key.rpartition("/")[0] + "/" if "/" in key else ""
            if folder not in KEPT_FOLDERS or key not in refs:
                continue
            pcm = decode_g722(tar.extractfile(member).read())
            seconds = len(pcm) / 16000
            if seconds > MAX_SECONDS:
                continue
            name = "asterisk-" + key.replace("/", "-")
            partial = out / f"{name}.part.wav"  # replaced at once: a benchmark may be reading the old one
            soundfile.write(partial, pcm, 16000, subtype="PCM_16")
            partial.replace(out / f"{name}.wav")
            entries.append({"name": name, "file": f"{name}.wav", "reference": refs[key], "seconds": round(seconds, 3),
                            "source": SOURCE, "speaker": "allison-smith"})
    entries.sort(key=lambda e: e["name"])
    (out / "corpus.json").write_text(json.dumps(entries, indent=1) + "\n")
    write_calls(out, entries)
    return len(entries)


def write_calls(out: Path, entries: list[dict]) -> None:
    """Two-channel 8 kHz calls of ``TURNS_PER_CALL`` utterances each, and their scripts."""
    clips = [SpeechClip(e["name"], out / e["file"], e["reference"], e["seconds"]) for e in entries]
    calls_dir = out / "calls"
    calls_dir.mkdir(exist_ok=True)
    index = []
    for n, first in enumerate(range(0, len(clips), TURNS_PER_CALL)):
        call = synthetic_call(clips[first:first + TURNS_PER_CALL], name=f"asterisk-call-{n + 1:02d}")
        write_call_wav(call, calls_dir / f"{call.name}.wav")
        index.append({"name": call.name, "file": f"{call.name}.wav", "seconds": round(call.seconds, 2),
                      "turns": [{"channel": t.channel, "clip": t.clip, "reference": t.reference,
                                 "start_s": round(t.start_s, 3), "end_s": round(t.end_s, 3)} for t in call.turns]})
    (calls_dir / "calls.json").write_text(json.dumps(index, indent=1) + "\n")


def main() -> int:
    root = cache_root()
    count = install(root / "downloads", root / "testdata" / "corpus")
    print(f"fetch_speech_corpus: {count} utterances in {root / 'testdata' / 'corpus'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
