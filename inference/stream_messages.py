"""The JSON messages a streaming session sends, in Deepgram's live-API shapes.

Deepgram's SDK parses these into its typed models (``ListenV1Results``, ``ListenV1Metadata``,
``ListenV1UtteranceEnd``, ``ListenV1SpeechStarted``); a message it cannot parse it drops,
so every required field is here even where Whisper has no real value for it (``model_uuid``).
"""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass, field

from .stream_channel import SpeechStarted, Transcript, UtteranceEnd, Word

_PUNCTUATION = re.compile(r"[^\w\s'-]")
MODEL_VERSION = "whisper-sagemaker"


@dataclass(frozen=True)
class SessionInfo:
    """What every message of one session repeats."""

    model: str
    channels: int  # transcribed channels
    punctuate: bool = True
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created: str = field(default_factory=lambda: datetime.datetime.now(datetime.timezone.utc).isoformat())


def results(transcript: Transcript, info: SessionInfo) -> dict:
    """A ``Results`` message: one channel's interim or final words."""
    words = [_word(w, info.punctuate) for w in transcript.words]
    confidence = min((w.confidence for w in transcript.words), default=0.0)
    message = {
        "type": "Results",
        "channel_index": [transcript.channel, info.channels],
        "duration": round(transcript.end - transcript.start, 3),
        "start": round(transcript.start, 3),
        "is_final": transcript.is_final,
        "speech_final": transcript.speech_final,
        "channel": {"alternatives": [{
            "transcript": " ".join(w["punctuated_word"] if info.punctuate else w["word"] for w in words),
            "confidence": round(confidence, 4),
            "words": words,
        }]},
        "metadata": {"request_id": info.request_id, "model_uuid": info.request_id,
                     "model_info": {"name": info.model, "version": MODEL_VERSION, "arch": "whisper"}},
    }
    if transcript.from_finalize:
        message["from_finalize"] = True
    return message


def _word(word: Word, punctuate: bool) -> dict:
    bare = _PUNCTUATION.sub("", word.text)
    out = {"word": bare.lower(), "start": round(word.start, 3), "end": round(word.end, 3),
           "confidence": round(word.confidence, 4)}
    if punctuate:
        out["punctuated_word"] = word.text
    return out


def event(item: SpeechStarted | UtteranceEnd, info: SessionInfo) -> dict:
    """A ``SpeechStarted`` or ``UtteranceEnd`` message."""
    channel = [item.channel, info.channels]
    if isinstance(item, SpeechStarted):
        return {"type": "SpeechStarted", "channel": channel, "timestamp": round(item.timestamp, 3)}
    return {"type": "UtteranceEnd", "channel": channel, "last_word_end": round(item.last_word_end, 3)}


def metadata(info: SessionInfo, seconds: float) -> dict:
    """The closing ``Metadata`` message: the audio the session received, in seconds."""
    return {"type": "Metadata", "transaction_key": "deprecated", "request_id": info.request_id,
            "sha256": "", "created": info.created, "duration": round(seconds, 3), "channels": info.channels,
            "models": [info.model], "model_info": {info.model: {"name": info.model, "version": MODEL_VERSION,
                                                                 "arch": "whisper"}}}
