"""Whole recordings, channel by channel: each channel transcribed on its own, segments merged by time.

A two-channel call carries one speaker per channel (LCA's calls: caller left, agent
right); averaging them, as LCA's one-channel utterances need, loses who said what and
mixes overlapping speech. With ``channels: "separate"`` each channel goes through the
same transcription as any request (within the same decoding budget, counted from the
request's admission), and the answer is LCA's body with every segment labelled.
"""

from __future__ import annotations

import threading

from faster_whisper import WhisperModel

from .codecs import DecodedRequest
from .config import ServingConfig
from .errors import ClientError
from .parameters import Parameters
from .transcribe import transcribe


def channel_labels(count: int, names: tuple[str, ...] | None) -> tuple[str, ...]:
    """The label of each channel: ``names`` if given (one per channel), else ``ch_0``, ``ch_1``, ...

    Raises:
        ClientError: ``names`` does not have one name per channel.
    """
    if names is None:
        return tuple(f"ch_{i}" for i in range(count))
    if len(names) != count:
        raise ClientError(f"parameter 'channel_names' lists {len(names)} names for audio with {count} channel(s)")
    return names


def transcribe_channels(model: WhisperModel, request: DecodedRequest, params: Parameters,
                        config: ServingConfig | None = None, cancelled: threading.Event | None = None,
                        received: float | None = None) -> dict:
    """Transcribe each row of ``request.audio`` (``(channels, samples)``); one body, segments by start time.

    Raises:
        ClientError: see :func:`channel_labels` and :func:`~.transcribe.transcribe`.
    """
    labels = channel_labels(request.audio.shape[0], params.channel_names)
    bodies = [transcribe(model, DecodedRequest(row, request.parameters), params, config, cancelled, received)
              for row in request.audio]
    return merge(bodies, labels, request.seconds)


def merge(bodies: list[dict], labels: tuple[str, ...], seconds: float) -> dict:
    """Per-channel bodies -> one, keys in the single-channel order, segments renumbered 1..N by start time."""
    labelled = [({**segment, "channel": label}, index)
                for index, (body, label) in enumerate(zip(bodies, labels, strict=True)) for segment in body["segments"]]
    segments = [segment for segment, _ in sorted(labelled, key=lambda pair: (pair[0]["start"], pair[1]))]
    for number, segment in enumerate(segments, 1):
        segment["id"] = number
    merged = {
        "text": " ".join(" ".join(s["text"] for s in segments).split()),
        "language": next((b["language"] for b in bodies if b["segments"]), bodies[0]["language"]),
        "segments": segments,
        "duration": round(seconds, 3),
    }
    if any("no_speech_prob" in b for b in bodies):
        merged["no_speech_prob"] = min(b["no_speech_prob"] for b in bodies)
    return merged
