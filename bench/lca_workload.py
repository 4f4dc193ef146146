"""LCA's real request stream, built from the real speech clips (docs/lca-contract.md, the request).

Each 16 kHz clip is turned into what LCA's call transcriber Lambda sends for one
utterance on one channel: telephone audio (8 kHz) upsampled back to 16 kHz by
repeating samples, then one partial request per second re-sending the whole growing
utterance, and a final request carrying the whole clip and the 600 ms of silence after
which the Lambda sends it. Every request is a JSON ``audio_input`` body exactly as LCA
builds it (``replay.lca_audio``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from replay.clips import telephone_clip
from replay.flavours import LAMBDA
from replay.lca_audio import WHISPER_RATE, lca_request_body, upsample_by_repeat, wav_bytes

# LCA re-sends the growing utterance about once a second while the caller speaks.
PARTIAL_INTERVAL_S = 1.0
# The Lambda sends the final once its VAD has heard this much silence, which the final carries.
HANG_OVER_S = LAMBDA.hangover_seconds


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


def telephone_audio(path: Path) -> np.ndarray:
    """A 16 kHz mono clip as LCA's Lambda delivers it: 8 kHz telephone band, upsampled by repetition."""
    return upsample_by_repeat(telephone_clip(path))


def final_audio(audio: np.ndarray) -> np.ndarray:
    """An utterance's speech as its final carries it: followed by the hang-over's silence."""
    return np.concatenate([audio, np.zeros(int(round(HANG_OVER_S * WHISPER_RATE)), dtype=audio.dtype)])


def utterance_requests(
    name: str, audio: np.ndarray, parameters: dict | None = None, interval_s: float = PARTIAL_INTERVAL_S
) -> list[LcaRequest]:
    """The partials (every ``interval_s`` of growing speech) and the final for one utterance."""
    step = int(round(interval_s * WHISPER_RATE))
    requests = [
        LcaRequest(name, end / WHISPER_RATE, False, lca_request_body(wav_bytes(audio[:end]), parameters))
        for end in range(step, len(audio), step)
    ]
    final = final_audio(audio)
    requests.append(LcaRequest(name, len(final) / WHISPER_RATE, True, lca_request_body(wav_bytes(final), parameters)))
    return requests


def lca_workload(clips: list, parameters: dict | None = None) -> list[LcaRequest]:
    """All requests LCA would send for these clips, clip after clip.

    Args:
        clips: objects with ``name`` and ``path`` (``replay.clips.SpeechClip``).
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
