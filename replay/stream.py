"""A call streamed over one WebSocket in Deepgram's live protocol, and what the stream showed.

The other transport for the same calls ``replay`` plays through LCA's request pattern:
the call's two 8 kHz channels go out as they are (``encoding=linear16``, ``multichannel``)
in 100 ms frames at the call's pace, and every ``Results`` message is kept with the wall
time it arrived. :func:`score` turns that into the figures the request pattern has
(final latency from the end of each turn's speech, WER of the finals, phantom interims,
lost turns), so the two transports compare on the same calls.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from dataclasses import dataclass, field

import websockets

from replay.call_source import Call
from replay.lca_audio import TELEPHONE_RATE
from replay.phantoms import PhantomTally, Utterance, tally, words
from replay.report import percentile
from replay.wer import wer as corpus_wer

FRAME_S = 0.1
QUERY = {"model": "whisper", "encoding": "linear16", "sample_rate": str(TELEPHONE_RATE), "channels": "2",
         "multichannel": "true", "interim_results": "true"}


@dataclass(frozen=True)
class Message:
    """One ``Results`` message and when it arrived (seconds since the stream's first frame)."""

    arrived_s: float
    channel: int
    is_final: bool
    transcript: str
    words: tuple[tuple[str, float, float], ...]  # (punctuated word, start, end) on the call's clock


@dataclass
class StreamResult:
    call: Call
    messages: list[Message] = field(default_factory=list)
    close_code: int | None = None
    close_reason: str = ""
    wall_s: float = 0.0


async def stream_call(url: str, call: Call, speed: float = 1.0, query: dict | None = None) -> StreamResult:
    """Stream ``call`` to ``url`` (``ws://host:port/v1/listen``), paced ``speed`` times real time."""
    result = StreamResult(call)
    frame = int(FRAME_S * TELEPHONE_RATE)
    target = f"{url}?{urllib.parse.urlencode({**QUERY, **(query or {})})}"
    async with websockets.connect(target, max_size=None) as ws:
        started = time.monotonic()

        async def receive() -> None:
            async for raw in ws:
                received(result, raw, time.monotonic() - started)

        reader = asyncio.ensure_future(receive())
        try:
            for index, at in enumerate(range(0, len(call.audio), frame)):
                await ws.send(call.audio[at:at + frame].astype("<i2").tobytes())
                delay = started + (index + 1) * FRAME_S / speed - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await ws.send(json.dumps({"type": "CloseStream"}))
        except websockets.ConnectionClosed:
            pass  # the server closed first (overloaded, say): its close code and reason are the result
        try:
            await reader
        except websockets.ConnectionClosed:
            pass
        result.close_code, result.close_reason = ws.close_code, ws.close_reason or ""
        result.wall_s = time.monotonic() - started
    return result


def received(result: StreamResult, raw: str, arrived_s: float) -> None:
    """Keep one message from the server (whatever carried it: this WebSocket, or SageMaker's
    runtime as a UTF8 payload part) that arrived ``arrived_s`` after the first audio frame."""
    message = json.loads(raw)
    if message.get("type") == "Results":
        result.messages.append(_message(message, arrived_s))


def _message(message: dict, arrived_s: float) -> Message:
    alternative = message["channel"]["alternatives"][0]
    return Message(arrived_s, message["channel_index"][0], bool(message.get("is_final")), alternative["transcript"],
                   tuple((w.get("punctuated_word", w["word"]), w["start"], w["end"]) for w in alternative["words"]))


@dataclass(frozen=True)
class StreamScore:
    """A streamed call's figures, in the request replay's terms.

    Attributes:
        latencies_s: per turn with final words, wall seconds from the end of its speech to
            the final holding its last word.
        lost_turns: turns with no final word at all.
        wer: the finals against the references, per channel.
        utterances: each turn's reference, interims and final words (for ``replay.phantoms``).
    """

    latencies_s: tuple[float, ...]
    lost_turns: int
    wer: float | None
    utterances: tuple[Utterance, ...]

    @property
    def turns(self) -> int:
        return len(self.utterances)

    @property
    def turn_finals(self) -> list[tuple[str, str]]:
        """(reference, final words) per turn."""
        return [(u.reference or "", u.final) for u in self.utterances]

    @property
    def phantoms(self) -> PhantomTally:
        """Interims holding a word the turn's finals and reference lack."""
        return tally(self.utterances)

    @property
    def p50_s(self) -> float | None:
        return percentile(self.latencies_s, 50)

    @property
    def p95_s(self) -> float | None:
        return percentile(self.latencies_s, 95)


def score(result: StreamResult, speed: float = 1.0) -> StreamScore:
    """Figures for a streamed call made from clips (``Call.turns``); see :class:`StreamScore`.

    Each word goes to the turn of its channel nearest to its middle: Whisper's timings can
    put a turn's first word half a second early, and a fixed window would count it lost.
    """
    turns = result.call.turns
    finals = [m for m in result.messages if m.is_final]
    latencies, utterances, lost = [], [], 0
    for index, turn in enumerate(turns):
        def mine(word, index=index, channel=turn.channel) -> bool:
            return _nearest_turn(turns, channel, (word[1] + word[2]) / 2) == index
        holding = [m for m in finals if m.channel == turn.channel and any(mine(w) for w in m.words)]
        final_text = " ".join(w[0] for m in holding for w in m.words if mine(w))
        interims = [" ".join(w[0] for w in m.words if mine(w)) for m in result.messages
                    if not m.is_final and m.channel == turn.channel and any(mine(w) for w in m.words)]
        utterances.append(Utterance(turn.reference, interims, final_text))
        if not words(final_text):
            lost += 1
        else:
            latencies.append(max(m.arrived_s for m in holding) - turn.end_s / speed)
    references = [" ".join(result.call.references(c)) for c in (0, 1)]
    heard = [" ".join(w[0] for m in finals if m.channel == c for w in m.words) for c in (0, 1)]
    pairs = [(r, h) for r, h in zip(references, heard, strict=True) if r]
    wer = corpus_wer([r for r, _ in pairs], [h for _, h in pairs]) if pairs else None
    return StreamScore(tuple(latencies), lost, wer, tuple(utterances))


def _nearest_turn(turns, channel: int, at: float) -> int | None:
    """The index of the channel's turn closest to ``at`` (0 inside it), None if it has none."""
    distances = [(max(t.start_s - at, at - t.end_s, 0.0), i) for i, t in enumerate(turns) if t.channel == channel]
    return min(distances)[1] if distances else None
