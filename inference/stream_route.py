"""The streaming routes: SageMaker's bidirectional-streaming WebSocket, speaking Deepgram's live API.

SageMaker's sidecar opens ``ws://localhost:8080/invocations-bidirectional-stream`` (or the
caller's ``ModelInvocationPath``, with ``ModelQueryString`` as the query) and turns each of
the caller's payload parts into one frame. Both that path and Deepgram's own ``/v1/listen``
serve one session per connection:

* binary frames are audio (``stream_options``: encoding, rate, channels);
* text frames are control messages: ``KeepAlive``, ``Finalize`` (everything heard so far
  becomes final), ``CloseStream`` (finals, the closing ``Metadata``, close 1000);
* out go ``Results`` (interim and final), ``SpeechStarted``, ``UtteranceEnd``, ``Metadata``.

Bounds (``ServingConfig``), each ending the session with a close code and a reason, never a
hang: ``WHISPER_MAX_STREAMS`` sessions at once (1013 to the next), ``WHISPER_STREAM_IDLE_S``
without audio or KeepAlive (1011, as Deepgram's NET-0001), ``WHISPER_MAX_STREAM_S`` per
session (finals first, then 1008), ``WHISPER_MAX_FRAME_BYTES`` per message (1009), and
``WHISPER_STREAM_MAX_BUFFER_S`` of audio awaiting a final (1013: decoding fell behind).
A bad query, frame or control message closes 1008 with the reason. A caller that vanishes
frees its place at once, and its decodes stop at their next step. The server's stop
(:meth:`Streams.close_all`) sends every session's finals and closes them 1001.

Decodes run on the server's inference workers, in the same first-come queue as
request/response invocations, one at a time per channel: sessions and requests share the
model fairly, and a stream never has more than one decode per channel waiting. Interims
are extras: one is decoded only while a worker is free (no request or stream decode waits),
so under load the finals, which nothing else shows, keep their latency and interims thin out.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import urllib.parse

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from .agreement import comparable
from .audio import SAMPLE_RATE
from .codecs import DecodedRequest
from .errors import ClientError, Overloaded
from .model import Cancelled
from .parameters import Parameters
from .stream_audio import FrameDecoder
from .stream_channel import Channel, Snapshot, Transcript, Word
from .stream_messages import SessionInfo, event, metadata, results
from .stream_options import StreamOptions
from .transcribe import check_prompt, transcribe

logger = logging.getLogger(__name__)

PATHS = ("/invocations-bidirectional-stream", "/v1/listen")
NORMAL, GOING_AWAY, POLICY, TOO_BIG, INTERNAL, TRY_AGAIN = 1000, 1001, 1008, 1009, 1011, 1013
_CONTROL = ("KeepAlive", "Finalize", "CloseStream")
_MAX_REASON_BYTES = 123


class SessionClosed(Exception):
    """The session ends: close with ``code`` and ``reason`` (after finals where ``flush``).

    A close frame holds at most 123 bytes of reason (RFC 6455): longer ones are cut there.
    """

    def __init__(self, code: int, reason: str, flush: bool = False) -> None:
        super().__init__(reason)
        self.code, self.flush = code, flush
        self.reason = reason.encode()[:_MAX_REASON_BYTES].decode(errors="ignore")


class Streams:
    """The sessions in progress: their count bounded, all of them reachable at shutdown, and
    how many of their decodes are queued or running."""

    def __init__(self) -> None:
        self.sessions: set[Session] = set()
        self.decoding = 0

    async def close_all(self) -> None:
        """Finals for every session, then close 1001 (the server is stopping)."""
        await asyncio.gather(*(s.stop(GOING_AWAY, "server shutting down") for s in list(self.sessions)),
                             return_exceptions=True)


async def stream_endpoint(websocket: WebSocket) -> None:
    """One streaming session on one WebSocket (the route both paths serve)."""
    server = websocket.app.state.server
    streams: Streams = websocket.app.state.streams
    await websocket.accept()  # a close code and reason reach the caller only after the handshake
    try:
        if server.transcriber is None:
            raise SessionClosed(TRY_AGAIN, "model not loaded yet; wait for /ping to answer 200")
        if len(streams.sessions) >= server.config.max_streams:
            raise SessionClosed(TRY_AGAIN, f"server busy: {len(streams.sessions)} streams "
                                           "(WHISPER_MAX_STREAMS); retry later")
        try:
            query = urllib.parse.parse_qs(websocket.url.query, keep_blank_values=True)
            options = StreamOptions.from_query(query, server.config, server.model_dir.name)
            check_prompt(server.transcriber.model, Parameters(hotwords=options.hotwords))
        except ClientError as exc:
            raise SessionClosed(POLICY, exc.message) from None
    except SessionClosed as closing:
        await websocket.close(closing.code, closing.reason)
        return
    session = Session(websocket, server, streams, options)
    streams.sessions.add(session)
    try:
        await session.run()
    finally:
        streams.sessions.discard(session)


def decode_words(transcriber, snap: Snapshot, language: str, hotwords: str | None = None,
                 cancelled: threading.Event | None = None) -> list[Word]:
    """Decode ``snap`` (on an inference worker): its words on the stream's clock.

    The live request path's decoder (short encoder window, loop guards, budget) with word
    timings; its own VAD filter is off, since the session decodes only audio its VAD heard
    speech in, and that filter drops short utterances whole ("ask not"). No prompt: the
    channel's earlier finals as ``initial_prompt`` raised the WER of a call's finals from
    5.2 % to 8.1 % (tiny.en, 16 turns), as Whisper copies from it. No hold-back: what is
    shown is decided by the channel (agreement across decodes, its confidence gate).
    """
    params = Parameters(language=language, word_timestamps=True, hold_back_cut_word=False, vad_filter=False,
                        min_partial_confidence=0.0, hotwords=hotwords, condition_on_previous_text=False)
    body = transcribe(transcriber.model, DecodedRequest(snap.audio), params, transcriber.config, cancelled)
    base = snap.start / SAMPLE_RATE
    words: list[Word] = []
    for w in (w for segment in body["segments"] for w in segment.get("words", [])):
        text = w["word"].strip()
        if words and (not w["word"][:1].isspace() or not comparable(text)):
            # no leading space ("-hearted") or only punctuation ("."): the end of the word before
            last = words[-1]
            words[-1] = Word(last.text + text, last.start, base + w["end"], min(last.confidence, w["probability"]))
        elif comparable(text):
            words.append(Word(text, base + w["start"], base + w["end"], w["probability"]))
    return words


class Session:
    """A session's channels, decodes in flight and message loop."""

    def __init__(self, websocket: WebSocket, server, streams: Streams, options: StreamOptions) -> None:
        self.websocket, self.server, self.streams, self.options = websocket, server, streams, options
        self.config = server.config
        self.info = SessionInfo(options.model, options.transcribed_channels, options.punctuate)
        endpointing = None if options.endpointing_ms is None else options.endpointing_ms / 1000
        utterance_end = None if options.utterance_end_ms is None else options.utterance_end_ms / 1000
        self.channels = [Channel(i, endpointing, options.interim_results, utterance_end, options.vad_events,
                                 self.config.partial_confidence) for i in range(options.transcribed_channels)]
        self.frames = FrameDecoder(options)
        self.decoding: dict[int, asyncio.Task] = {}
        self.cancelled = threading.Event()  # stops this session's decodes at their next step
        self.started = time.monotonic()
        self._send_lock = asyncio.Lock()
        # set to a SessionClosed from outside the message loop: a failed decode, the server's stop
        self._stopping: asyncio.Future = asyncio.get_running_loop().create_future()
        self._finished = asyncio.Event()

    # -- the message loop ------------------------------------------------------------------------
    async def run(self) -> None:
        try:
            await self._receive_until_closed()
        except SessionClosed as closing:
            await self._close(closing)
        except WebSocketDisconnect:
            pass  # the caller left: nothing to send, nobody to send it to
        except Exception:
            logger.exception("stream failed")
            await self._close(SessionClosed(INTERNAL, "internal error; see the server's log"))
        finally:
            self.cancelled.set()
            for task in self.decoding.values():
                task.cancel()
            self._finished.set()

    async def _receive_until_closed(self) -> None:
        deadline = self.started + self.config.max_stream_s
        while True:
            wait = min(self.config.stream_idle_s, deadline - time.monotonic())
            receiving = asyncio.ensure_future(self.websocket.receive())
            stop = self._stopping
            done, _ = await asyncio.wait({receiving, stop}, timeout=max(wait, 0),
                                         return_when=asyncio.FIRST_COMPLETED)
            if stop in done:
                receiving.cancel()
                raise stop.result()
            if not done:
                receiving.cancel()
                if time.monotonic() >= deadline:
                    raise SessionClosed(POLICY, f"the session reached its maximum length of "
                                                f"{self.config.max_stream_s:g} s (WHISPER_MAX_STREAM_S)", flush=True)
                raise SessionClosed(INTERNAL, f"NET-0001: no audio and no KeepAlive for "
                                              f"{self.config.stream_idle_s:g} s (WHISPER_STREAM_IDLE_S)")
            message = receiving.result()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            if message.get("bytes") is not None:
                await self._audio(message["bytes"])
            elif message.get("text") is not None:
                await self._control(message["text"])

    def request_stop(self, code: int, reason: str, flush: bool = True) -> None:
        """Ask the session to close (from outside its loop), after its finals where ``flush``."""
        if not self._stopping.done():
            self._stopping.set_result(SessionClosed(code, reason, flush))

    async def stop(self, code: int, reason: str) -> None:
        """Close the session after its finals, and wait until it has."""
        self.request_stop(code, reason)
        await self._finished.wait()

    async def _audio(self, frame: bytes) -> None:
        if len(frame) > self.config.max_frame_bytes:
            raise SessionClosed(TOO_BIG, f"a frame of {len(frame)} bytes exceeds the limit of "
                                         f"{self.config.max_frame_bytes} (WHISPER_MAX_FRAME_BYTES)")
        for channel, samples in zip(self.channels, self.frames.decode(frame), strict=True):
            for item in channel.feed(samples):
                await self._send(results(item, self.info) if isinstance(item, Transcript) else event(item, self.info))
            if len(channel.audio) > self.config.stream_max_buffer_s * SAMPLE_RATE:
                raise SessionClosed(TRY_AGAIN, f"overloaded: channel {channel.index} has over "
                                               f"{self.config.stream_max_buffer_s:g} s of audio awaiting a final "
                                               "(WHISPER_STREAM_MAX_BUFFER_S)")
            self._schedule(channel)

    async def _control(self, text: str) -> None:
        try:
            kind = json.loads(text).get("type")
        except (ValueError, AttributeError):
            raise SessionClosed(POLICY, "a text frame must be a JSON control message: "
                                        '{"type": "KeepAlive" | "Finalize" | "CloseStream"}') from None
        if kind not in _CONTROL:
            raise SessionClosed(POLICY, f"unknown control message type {kind!r}: use {', '.join(_CONTROL)}")
        if kind == "Finalize":
            await self._finalize()
        elif kind == "CloseStream":
            raise SessionClosed(NORMAL, "", flush=True)

    # -- decoding ----------------------------------------------------------------------------------
    def _schedule(self, channel: Channel) -> None:
        if channel.index in self.decoding:
            return  # one decode per channel at a time; the next is decided when it returns
        busy = self.streams.decoding + self.server.admission.inside >= self.config.workers
        snap = channel.due(interim=not busy)
        if snap is not None:
            self.decoding[channel.index] = asyncio.ensure_future(self._decode(channel, snap))

    async def _decode(self, channel: Channel, snap: Snapshot, then_schedule: bool = True) -> None:
        self.streams.decoding += 1
        try:
            try:
                words = await asyncio.get_running_loop().run_in_executor(self.server.executor, self._words, snap)
            finally:
                self.streams.decoding -= 1
            for transcript in channel.decoded(snap, words):  # interims only where interim_results asked
                await self._send(results(transcript, self.info))
        except (Cancelled, WebSocketDisconnect):
            return  # the session is ending
        except ClientError as exc:  # the per-decode budget ran out: the workers are overloaded
            self.request_stop(TRY_AGAIN, f"decoding fell behind: {exc.message}", flush=False)
            return
        except Exception:
            logger.exception("stream decode failed")
            self.request_stop(INTERNAL, "internal error; see the server's log", flush=False)
            return
        finally:
            self.decoding.pop(channel.index, None)
        if then_schedule:
            self._schedule(channel)

    def _words(self, snap: Snapshot) -> list[Word]:
        if self.cancelled.is_set():
            raise Cancelled()
        return decode_words(self.server.transcriber, snap, self.options.language, self.options.hotwords,
                            self.cancelled)

    async def _finalize(self) -> None:
        """Everything heard so far becomes final, channel by channel, in order."""
        for channel in self.channels:
            # a decode that returns schedules the channel's next one: wait until none is left,
            # so the finalize decode is the channel's only one
            while (running := self.decoding.get(channel.index)) is not None:
                await asyncio.shield(running)
            snap = channel.finalize()
            if snap is not None:
                await self._decode(channel, snap, then_schedule=False)

    # -- sending -----------------------------------------------------------------------------------
    async def _send(self, message: dict) -> None:
        async with self._send_lock:
            await self.websocket.send_text(json.dumps(message))

    async def _close(self, closing: SessionClosed) -> None:
        if self.websocket.client_state != WebSocketState.CONNECTED:
            return
        try:
            if closing.flush:
                for channel, samples in zip(self.channels, self.frames.flush(), strict=True):
                    channel.feed(samples)
                await self._finalize()
                await self._send(metadata(self.info, self.channels[0].received / SAMPLE_RATE))
            await self.websocket.close(closing.code, closing.reason)
        except (WebSocketDisconnect, RuntimeError, Overloaded, Cancelled):
            pass  # the caller left while we said goodbye
