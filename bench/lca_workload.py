"""LCA's real request stream, built from the real speech clips (DESIGN.md, Contract 1).

Each 16 kHz clip is turned into what LCA's call transcriber Lambda sends for one
utterance on one channel: telephone audio (8 kHz) upsampled back to 16 kHz by
repeating samples, then one partial request per second re-sending the whole growing
utterance, and a final request carrying the whole clip. Every request is a JSON
``audio_input`` body exactly as LCA builds it (``replay.lca_audio``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from replay.lca_audio import WHISPER_RATE, lca_request_body, to_telephone, upsample_by_repeat, wav_bytes

# LCA re-sends the growing utterance about once a second while the caller speaks.
PARTIAL_INTERVAL_S = 1.0

# A small, varied subset (1-3.3 s utterances, the bulk of LCA's traffic) for --quick runs.
QUICK_CLIPS = ("cards-001", "librivox-0880", "goforward", "librivox-0930")


@dataclass(frozen=True)
class SpeechClip:
    """A real recording with its reference transcript (same fields as the tests' ``Clip``)."""

    name: str
    path: Path
    reference: str
    seconds: float


@dataclass(frozen=True)
class LcaRequest:
    """One InvokeEndpoint call as LCA makes it.

    Attributes:
        clip: name of the clip the utterance comes from.
        audio_seconds: length of the audio carried by this request.
        final: True for the last request of the utterance (its text is what LCA keeps).
        body: the raw request bytes (``application/json``).
    """

    clip: str
    audio_seconds: float
    final: bool
    body: bytes


def testdata_root() -> Path:
    """Where ``scripts/setup.sh`` installs the model and the clips."""
    env = os.environ.get("WHISPER_SAGEMAKER_CACHE")
    base = Path(env) if env else Path.home() / ".cache" / "whisper-sagemaker"
    return base / "testdata"


def default_model_dir() -> Path:
    """The bundled faster-whisper tiny.en CTranslate2 model directory."""
    return testdata_root() / "models" / "tiny.en"


def load_clips(names: tuple[str, ...] | None = None, root: Path | None = None) -> list[SpeechClip]:
    """Read the clip index written by the setup.

    Args:
        names: keep only these clips (in index order); ``None`` keeps all.
        root: the testdata directory; defaults to ``testdata_root()``.

    Raises:
        FileNotFoundError: the test data is not installed (run ``scripts/setup.sh``).
        KeyError: a requested clip name is not in the index.
    """
    speech = (root or testdata_root()) / "speech"
    index = speech / "clips.json"
    if not index.exists():
        raise FileNotFoundError(f"speech clips missing at {speech}: run scripts/setup.sh")
    clips = [
        SpeechClip(c["name"], speech / c["file"], c["reference"], c["seconds"])
        for c in json.loads(index.read_text())
    ]
    if names is None:
        return clips
    missing = set(names) - {c.name for c in clips}
    if missing:
        raise KeyError(f"unknown clips: {sorted(missing)}")
    return [c for c in clips if c.name in names]


def telephone_audio(path: Path) -> np.ndarray:
    """A 16 kHz mono clip as LCA's Lambda delivers it: 8 kHz telephone band, upsampled by repetition."""
    samples, rate = soundfile.read(str(path), dtype="int16", always_2d=False)
    if rate != WHISPER_RATE or samples.ndim != 1:
        raise ValueError(f"{path}: expected 16 kHz mono, got {rate} Hz with shape {samples.shape}")
    return upsample_by_repeat(to_telephone(samples))


def utterance_requests(
    name: str, audio: np.ndarray, parameters: dict | None = None, interval_s: float = PARTIAL_INTERVAL_S
) -> list[LcaRequest]:
    """The partials (every ``interval_s`` of growing audio) and the final for one utterance."""
    step = int(round(interval_s * WHISPER_RATE))
    requests = [
        LcaRequest(name, end / WHISPER_RATE, False, lca_request_body(wav_bytes(audio[:end]), parameters))
        for end in range(step, len(audio), step)
    ]
    requests.append(LcaRequest(name, len(audio) / WHISPER_RATE, True, lca_request_body(wav_bytes(audio), parameters)))
    return requests


def lca_workload(clips: list, parameters: dict | None = None) -> list[LcaRequest]:
    """All requests LCA would send for these clips, clip after clip.

    Args:
        clips: objects with ``name`` and ``path`` (``SpeechClip`` or the tests' ``Clip``).
        parameters: the request ``parameters``; ``None`` sends LCA's own (``LCA_PARAMETERS``).
    """
    requests: list[LcaRequest] = []
    for clip in clips:
        requests.extend(utterance_requests(clip.name, telephone_audio(clip.path), parameters))
    return requests


def long_payload(clips: list, seconds: float = 50.0) -> bytes:
    """One ``audio_input`` body of exactly ``seconds`` of telephone speech (the clips end to end, looped).

    50 s is about the most LCA's byte-array encoding fits in SageMaker's 6 MB payload limit.
    """
    audio = np.concatenate([telephone_audio(c.path) for c in clips])
    wanted = int(seconds * WHISPER_RATE)
    audio = np.resize(audio, wanted)  # repeats the clips if they are shorter than `seconds`
    return lca_request_body(wav_bytes(audio))
