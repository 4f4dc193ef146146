"""LCA's call transcriber loop for one call (``processAudioStream`` + ``processChannelVAD``).

For each received audio chunk, channel 0 then channel 1:

1. the periodic timer: when ``interval_s`` has passed since the last partial (one timer
   for the whole call, read once per chunk and channel) and the channel's buffer holds an
   utterance without a final, the whole buffer is sent and a partial event emitted;
2. the VAD frames: a closed utterance (hang-over expired) is sent for its final.

Every request is awaited before anything else happens, so one request is in flight per
call and, while it runs, arriving audio waits: request time turns into transcript lag.
Responses are read as LCA reads them; a failed request is lost text (no retry).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from replay import events
from replay.call_source import Call
from replay.clock import Clock, RealClock
from replay.flavours import LAMBDA, Flavour
from replay.lca_audio import LCA_NO_SPEECH_THRESHOLD, TELEPHONE_RATE, WHISPER_RATE, lca_transcript
from replay.payload import GrowingPayload
from replay.transport import Transport, TransportError
from replay.vad import ChannelSegmenter

logger = logging.getLogger(__name__)

PARTIAL_INTERVAL_S = 1.0  # LCA's TRANSCRIPTION_INTERVAL default (ms 1000)
CHUNK_S = 0.1  # audio received per stream event


@dataclass(frozen=True)
class RequestRecord:
    """One InvokeEndpoint call.

    Attributes:
        channel: 0 or 1.
        final: True for the silence-triggered request, False for a periodic partial.
        segment_id: the utterance it belongs to.
        audio_seconds: audio carried.
        sent_at: call time it was sent.
        seconds: wall seconds until the answer (or the failure).
        error: why it failed, None when an answer came back.
        text: the transcript LCA made of it ("" = nothing emitted).
    """

    channel: int
    final: bool
    segment_id: str
    audio_seconds: float
    sent_at: float
    seconds: float
    error: str | None
    text: str


@dataclass(frozen=True)
class FinalRecord:
    """The end of one utterance and what became of it.

    Attributes:
        channel: 0 or 1.
        segment_id: LCA's SegmentId.
        voice_end: call time the last voiced audio of the utterance arrived.
        emitted_at: call time the final's answer came back.
        latency_s: wall seconds from ``voice_end`` to ``emitted_at`` (hang-over, queueing
            behind other requests of the call, and the request itself).
        text: the final transcript ("" = LCA emitted nothing: error or no speech).
    """

    channel: int
    segment_id: str
    voice_end: float
    emitted_at: float
    latency_s: float
    text: str


@dataclass
class CallResult:
    """Everything one replayed call produced."""

    call_id: str
    call: Call
    flavour: str
    requests: list[RequestRecord] = field(default_factory=list)
    finals: list[FinalRecord] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    open_at_end: int = 0  # utterances still open at hang-up: LCA never transcribes them
    wall_seconds: float = 0.0
    aborted: bool = False  # stopped before the end of its audio (see ``CallTranscriber.stop``)

    def final_texts(self, channel: int) -> list[str]:
        """The non-empty final transcripts of one channel, in order."""
        return [f.text for f in self.finals if f.channel == channel and f.text]


def read_text(response: dict, flavour: Flavour, threshold: float = LCA_NO_SPEECH_THRESHOLD) -> str:
    """The transcript LCA's ``transcribeBuffer`` makes of an answer ("" = nothing emitted)."""
    kept = lca_transcript(response, threshold)
    if kept is None:  # error, or no_speech_prob above the threshold
        return ""
    text = response.get("text")
    if isinstance(text, list):
        return " ".join(str(t) for t in text).strip()
    if isinstance(text, str):
        return text.strip()
    return flavour.missing_text


class CallTranscriber:
    """Replays one call through LCA's transcriber logic.

    Args:
        transport: where requests go.
        flavour: which LCA transcriber to reproduce (``lambda`` by default).
        clock: the call's clock; a fresh real-time clock when None.
        sink: receives every event (START, ADD_TRANSCRIPT_SEGMENT, END) as it is emitted.
        call_id: LCA's CallId; a UUID when None.
        interval_s: the periodic (partial) transcription interval.
        chunk_s: audio per received chunk.
        parameters: request ``parameters``; None sends LCA's.
        stop: when set, the call stops at the next chunk (a bounded benchmark trial).
        partials: False sends the finals only: partials change no final's audio, so a measure
            of the finals alone need not decode them.
    """

    def __init__(self, transport: Transport, flavour: Flavour = LAMBDA, clock: Clock | None = None,
                 sink: Callable[[dict], None] | None = None, call_id: str | None = None,
                 interval_s: float = PARTIAL_INTERVAL_S, chunk_s: float = CHUNK_S,
                 parameters: dict | None = None, stop: threading.Event | None = None,
                 partials: bool = True) -> None:
        if interval_s <= 0 or chunk_s <= 0:
            raise ValueError("interval_s and chunk_s must be positive")
        self.transport = transport
        self.flavour = flavour
        self.clock = clock if clock is not None else RealClock()
        self.sink = sink
        self.call_id = call_id or str(uuid.uuid4())
        self.interval_s = interval_s
        self.chunk_samples = max(1, int(round(chunk_s * TELEPHONE_RATE)))
        self.parameters = parameters
        self.stop = stop
        self.partials = partials
        self._payloads: dict[int, tuple[str, GrowingPayload]] = {}

    def run(self, call: Call) -> CallResult:
        """Stream the call through, in (scaled) real time; returns when its audio has been processed."""
        if call.audio.ndim != 2 or call.audio.shape[1] != 2:
            raise ValueError("a call is stereo: audio of shape (samples, 2)")
        result = CallResult(self.call_id, call, self.flavour.name)
        started = time.monotonic()
        if hasattr(self.clock, "start"):
            self.clock.start()
        self._emit(result, events.call_start_event(self.call_id))
        segmenters = [ChannelSegmenter(self.flavour), ChannelSegmenter(self.flavour)]
        last_partial = self.clock.now()
        for begin in range(0, len(call.audio), self.chunk_samples):
            if self.stop is not None and self.stop.is_set():
                result.aborted = True
                break
            chunk = call.audio[begin:begin + self.chunk_samples]
            self.clock.wait_until((begin + len(chunk)) / TELEPHONE_RATE)  # the chunk has arrived
            buffered = self.flavour.to_buffer(chunk)
            for channel, segmenter in enumerate(segmenters):
                segmenter.feed(buffered[:, channel])
                now = self.clock.now()
                if self.partials and now - last_partial >= self.interval_s:
                    audio = segmenter.partial_audio()
                    if audio is not None:
                        self._partial(result, channel, segmenter, audio, now)
                        last_partial = now  # LCA keeps the time read *before* the request
                while segmenter.has_frame():
                    due = segmenter.step(self.clock.now())
                    if due is not None:
                        self._final(result, channel, segmenter, due)
        result.open_at_end = sum(1 for s in segmenters if s.voice_active)
        self._emit(result, events.call_end_event(self.call_id))
        result.wall_seconds = time.monotonic() - started
        return result

    def _partial(self, result: CallResult, channel: int, segmenter: ChannelSegmenter, audio: np.ndarray,
                 now: float) -> None:
        text = self._request(result, channel, segmenter.segment_id, audio, final=False)
        if text:
            start = segmenter.start_time if segmenter.start_time is not None else self._unknown_start(now)
            self._emit(result, events.segment_event(self.call_id, channel, segmenter.segment_id,
                                                    _ms(start), _ms(self.clock.now()), text, True))

    def _final(self, result: CallResult, channel: int, segmenter: ChannelSegmenter, due) -> None:
        text = self._request(result, channel, due.segment_id, due.audio, final=True)
        emitted = self.clock.now()
        if text:
            segmenter.final_sent = True
            start = due.start_time if due.start_time is not None else emitted
            self._emit(result, events.segment_event(self.call_id, channel, due.segment_id, _ms(start),
                                                    _ms(emitted), text, False))
        result.finals.append(FinalRecord(channel, due.segment_id, due.voice_end, emitted,
                                         (emitted - due.voice_end) / self.clock.speed, text))

    def _unknown_start(self, now: float) -> float:
        # whisper.js: getRelativeTime(null) clamps to 0; whisper.ts falls back to Date.now().
        return 0.0 if self.flavour is LAMBDA else now

    def _request(self, result: CallResult, channel: int, segment_id: str, audio: np.ndarray,
                 final: bool) -> str:
        key, payload = self._payloads.get(channel, ("", None))
        if payload is None or key != segment_id:
            payload = GrowingPayload(self.parameters)
            self._payloads[channel] = (segment_id, payload)
        payload.extend_to(self.flavour.to_wav(audio))
        body = payload.body()
        sent_at = self.clock.now()
        began = time.monotonic()
        error = None
        try:
            text = read_text(self.transport.invoke(body), self.flavour)
        except TransportError as exc:
            logger.warning("call %s: request failed: %s", self.call_id, exc)
            error, text = str(exc), ""
        result.requests.append(RequestRecord(channel, final, segment_id, payload.samples / WHISPER_RATE, sent_at,
                                             time.monotonic() - began, error, text))
        return text

    def _emit(self, result: CallResult, event: dict) -> None:
        result.events.append(event)
        if self.sink is not None:
            self.sink(event)


def _ms(seconds: float) -> float:
    # LCA's times come from Date.now(): whole milliseconds.
    return round(seconds, 3)
