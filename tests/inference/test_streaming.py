"""The streaming routes on the real server: Deepgram's protocol over a real WebSocket, real speech.

The session-wide server (``python -m inference serve``, one worker) runs with
``WHISPER_MAX_STREAMS=2`` and ``WHISPER_STREAM_IDLE_S=2`` (``SERVER_ENV``), so the limits
are reachable in seconds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import soundfile
import soxr
import websockets
from inference_testlib import REPO, SERVER_ENV, free_port, thread_server, wait_for_ping
from stream_testlib import CLOSE, FINALIZE, JFK_START, KEEPALIVE, Session, heard, pcm_frames, run_session, ws_url

from inference.server import create_app
from replay.call_source import synthetic_call
from replay.stream import score, stream_call
from replay.wer import wer

QUERY = {"model": "whisper", "encoding": "linear16", "sample_rate": "16000", "interim_results": "true"}
FRAME_BYTES = 3200  # 100 ms of 16 kHz 16-bit mono


def clip_pcm(clip, silence_s: float = 1.0) -> bytes:
    speech, _ = soundfile.read(str(clip.path), dtype="int16")
    return np.concatenate([speech, np.zeros(int(silence_s * 16000), np.int16)]).astype("<i2").tobytes()


@pytest.fixture(scope="module")
def call(clips):
    """A two-channel telephone call (8 kHz) of real clips: a long turn and short ones."""
    names = ("librivox-0870", "cards-001", "goforward", "cards-005")
    return synthetic_call([next(c for c in clips if c.name == n) for n in names])


@pytest.mark.slow
def test_a_two_channel_call_streams_interim_and_final_results(server, call):
    """Every turn final, nothing lost, WER bounded, interims of the long turn shown before its
    final, finals never overlapping."""
    # In real time: interims are decoded only on a free worker, and a faster-than-life call on a busy
    # machine (the suite runs two workers) can end its long turn before two decodes agree.
    result = asyncio.run(stream_call(ws_url(server.url), call, speed=1.0))
    assert result.close_code == 1000, result.close_reason
    figures = score(result, speed=1.0)
    assert figures.lost_turns == 0 and figures.turns == len(call.turns)
    assert figures.wer is not None and figures.wer <= 0.25, [m.transcript for m in result.messages]
    # The call's first turn, 7 s: interims before its final. (Before the end of its speech is too
    # strict with the suite's other worker on the CPU: interims wait for a free worker.)
    long_turn = call.turns[0]
    its_final = min(m.arrived_s for m in result.messages if m.is_final and m.channel == long_turn.channel)
    assert any(not m.is_final and m.channel == long_turn.channel and m.arrived_s < its_final
               for m in result.messages), "the 7 s turn shows interims before its final"
    for channel in (0, 1):
        spans = [(w[1], w[2]) for m in result.messages if m.is_final and m.channel == channel for w in m.words]
        assert all(a_end <= b_start + 0.05 for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False)), \
            "a final never covers words of an earlier final again"


@pytest.mark.parametrize("path", ["/v1/listen", "/invocations-bidirectional-stream"])
def test_results_and_the_closing_metadata_have_deepgrams_shape(server, jfk, path):
    """Both paths serve Deepgram's protocol (SageMaker's sidecar uses the second)."""
    frames = [*pcm_frames(clip_pcm(jfk), FRAME_BYTES), CLOSE]
    session = asyncio.run(run_session(ws_url(server.url, QUERY, path), frames, pace_s=0.02))
    assert session.close_code == 1000
    assert session.messages[-1]["type"] == "Metadata"
    assert session.messages[-1]["duration"] == pytest.approx(12.0, abs=0.05)
    assert wer([jfk.reference], [session.text()]) <= 0.3, session.text()
    for message in session.of("Results"):
        assert message["channel_index"] == [0, 1]
        alternative = message["channel"]["alternatives"][0]
        assert {"transcript", "confidence", "words"} <= alternative.keys()
        end = message["start"] + message["duration"]
        for word in alternative["words"]:
            assert message["start"] - 0.05 <= word["start"] <= word["end"] <= end + 0.05
            assert word["word"] == word["word"].lower() and word["punctuated_word"].strip()
    starts = [m["start"] for m in session.finals()]
    assert starts == sorted(starts)


def test_finalize_makes_what_was_heard_final_at_once(server, jfk):
    """Without endpointing, nothing is final until Finalize; then all of it, marked from_finalize."""
    pcm = clip_pcm(jfk, silence_s=0)
    frames = [*pcm_frames(pcm[:16000 * 2 * 4], FRAME_BYTES), FINALIZE, CLOSE]
    session = asyncio.run(run_session(ws_url(server.url, {**QUERY, "endpointing": "false"}), frames))
    finals = session.finals()
    assert finals and all(m.get("from_finalize") for m in finals)
    assert heard(session.text(), JFK_START) >= 4, session.text()


def test_mulaw_at_8_khz_is_transcribed(server, jfk):
    """G.711 mu-law at 8 kHz, as telephony sends it, encoded by libsndfile."""
    speech, _ = soundfile.read(str(jfk.path), dtype="float32")
    telephone = soxr.resample(speech, 16000, 8000)
    encoded = io.BytesIO()
    soundfile.write(encoded, np.concatenate([telephone, np.zeros(8000, np.float32)]), 8000,
                    format="RAW", subtype="ULAW")
    frames = [*pcm_frames(encoded.getvalue(), 799), CLOSE]  # odd-sized frames: samples split across them
    query = {**QUERY, "encoding": "mulaw", "sample_rate": "8000"}
    session = asyncio.run(run_session(ws_url(server.url, query), frames))
    assert session.close_code == 1000, session.close_reason
    assert wer([jfk.reference], [session.text()]) <= 0.35, session.text()


@pytest.mark.parametrize(("query", "reason"), [
    ({"model": "nova-3"}, "model 'nova-3' is not served here"),
    ({"encoding": "opus"}, "encoding 'opus' is not supported"),
    ({"diarize": "true"}, "'diarize' is not supported"),
    ({"colour": "blue"}, "unknown query parameter 'colour'"),
    ({"sample_rate": "100"}, "'sample_rate' must be an integer between"),
    ({"interim_results": "maybe"}, "'interim_results' must be true or false"),
    ({"utterance_end_ms": "1000"}, "'utterance_end_ms' needs 'interim_results=true'"),
    ({"channels": "9"}, "the limit is"),
])
def test_a_query_whisper_cannot_honour_is_refused_with_its_reason(server, query, reason):
    session = asyncio.run(run_session(ws_url(server.url, {"model": "whisper", **query})))
    assert session.close_code == 1008
    assert reason in session.close_reason


def test_the_deployed_models_name_is_accepted_as_model(server, model_dir):
    session = asyncio.run(run_session(ws_url(server.url, {"model": model_dir.name}), [CLOSE]))
    assert session.close_code == 1000 and session.messages[-1]["type"] == "Metadata"


@pytest.mark.parametrize(("frame", "code", "reason"), [
    ("hello", 1008, "must be a JSON control message"),
    (json.dumps({"type": "Configure"}), 1008, "unknown control message type 'Configure'"),
    (b"\0" * (256 << 10 | 1), 1009, "WHISPER_MAX_FRAME_BYTES"),
])
def test_bad_frames_close_the_session_with_a_reason(server, frame, code, reason):
    session = asyncio.run(run_session(ws_url(server.url, QUERY), [frame, KEEPALIVE]))
    assert (session.close_code, reason in session.close_reason) == (code, True), session.close_reason


def test_an_idle_session_is_closed_after_the_idle_timeout(server):
    session = asyncio.run(run_session(ws_url(server.url, QUERY), [b"\0" * 3200], wait_close_s=10))
    assert session.close_code == 1011 and "WHISPER_STREAM_IDLE_S" in session.close_reason


def test_keepalive_keeps_a_session_open(server):
    session = asyncio.run(run_session(ws_url(server.url, QUERY), [KEEPALIVE] * 5 + [CLOSE], pace_s=0.6))
    assert session.close_code == 1000


def test_the_session_past_the_limit_is_refused_and_a_vanished_client_frees_its_place(server):
    async def scenario() -> tuple:
        url = ws_url(server.url, QUERY)
        first = await websockets.connect(url)
        second = await websockets.connect(url)
        await first.send(KEEPALIVE)
        refused = await run_session(url)
        first.transport.abort()  # the caller vanishes without a close frame
        await second.close()
        await asyncio.sleep(0.5)
        admitted = await run_session(url, [CLOSE])
        return refused, admitted

    refused, admitted = asyncio.run(scenario())
    assert refused.close_code == 1013 and "WHISPER_MAX_STREAMS" in refused.close_reason
    assert admitted.close_code == 1000


def test_a_session_at_its_maximum_length_gets_its_finals_then_a_reason(transcriber, model_dir, jfk):
    config = dataclasses.replace(transcriber.config, max_stream_s=4.0)
    app = create_app(model_dir, config, load=lambda *_: transcriber)
    frames = pcm_frames(clip_pcm(jfk, silence_s=0), FRAME_BYTES)
    with thread_server(app) as url:
        session = asyncio.run(run_session(ws_url(url, {**QUERY, "endpointing": "false"}), frames, pace_s=0.1))
    assert session.close_code == 1008 and "WHISPER_MAX_STREAM_S" in session.close_reason
    assert heard(session.text(), JFK_START) >= 4, "what was said before the limit is final"
    assert session.messages[-1]["type"] == "Metadata"


@pytest.mark.slow
def test_sigterm_sends_every_sessions_finals_then_closes_1001(model_dir, jfk):
    """The server stops (SageMaker scales in, a deployment rolls): callers keep what they said."""
    port = free_port()
    # the finals must land within the grace: the tests' 3 s is short for a decode on a loaded machine
    env = dict(os.environ, PYTHONPATH=str(REPO), **{**SERVER_ENV, "WHISPER_SHUTDOWN_GRACE_S": "20"})
    process = subprocess.Popen([sys.executable, "-m", "inference", "serve", "--model-dir", str(model_dir),
                                "--port", str(port)], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_ping(url, 120, alive=lambda: process.poll() is None)

        async def scenario() -> Session:
            frames = pcm_frames(clip_pcm(jfk, silence_s=0)[:16000 * 2 * 5], FRAME_BYTES)
            streaming = asyncio.ensure_future(run_session(ws_url(url, {**QUERY, "endpointing": "false"}),
                                                          [*frames, KEEPALIVE, KEEPALIVE], pace_s=0.1))
            await asyncio.sleep(len(frames) * 0.1 + 0.3)
            process.send_signal(signal.SIGTERM)
            return await streaming

        session = asyncio.run(scenario())
        process.wait(timeout=30)  # it stops (uvicorn re-raises SIGTERM once it has shut down)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert session.close_code == 1001 and "shutting down" in session.close_reason
    assert heard(session.text(), JFK_START) >= 4, session.text()
