"""The replay client behaves like LCA's call transcriber: VAD segmentation of a call made
from real clips, the partial cadence, one request in flight, LCA's payload and event shapes."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from replay_testlib import StandIn

from replay.call_source import read_call_wav, synthetic_call, write_call_wav
from replay.clock import VirtualClock
from replay.events import SEGMENT_KEYS
from replay.flavours import LAMBDA, WEBSOCKET
from replay.lca_audio import LCA_PARAMETERS, lca_request_body, upsample_linear, wav_bytes
from replay.payload import GrowingPayload
from replay.runner import replay_calls
from replay.transcriber import CallTranscriber, read_text
from replay.transport import HttpTransport, TransportError


class FakeEndpoint:
    """Answers at once with the audio length it received; ``latency_s`` of virtual time per request."""

    def __init__(self, clock: VirtualClock, latency_s: float = 0.0) -> None:
        self.clock, self.latency_s, self.bodies = clock, latency_s, []

    def invoke(self, body: bytes) -> dict:
        self.bodies.append(body)
        self.clock.advance(self.latency_s)
        seconds = (len(json.loads(body)["audio_input"]) - 44) / 32000
        return {"text": f" {seconds:.2f} "}

    def close(self) -> None:
        pass


def replay_virtual(call, flavour=LAMBDA, latency_s=0.0):
    clock = VirtualClock()
    endpoint = FakeEndpoint(clock, latency_s)
    return CallTranscriber(endpoint, flavour, clock).run(call), endpoint


@pytest.fixture(scope="module")
def call(short_call_clips):
    return synthetic_call(short_call_clips)


def test_one_final_per_turn_on_the_right_channel_after_the_hangover(call):
    result, _ = replay_virtual(call)
    assert [f.channel for f in result.finals] == [t.channel for t in call.turns]
    for final, turn in zip(result.finals, call.turns, strict=True):
        # The VAD's last voiced frame is near the clip's end (clips carry a little silence).
        assert turn.end_s - 0.6 <= final.voice_end <= turn.end_s + 0.1, (final, turn)
        # Sent after 600 ms of silence (Lambda: 10 frames of 480 samples at 8 kHz), answered at once.
        assert final.latency_s == pytest.approx(LAMBDA.hangover_seconds, abs=0.1 + 0.06)
    finals = [r for r in result.requests if r.final]
    for request, turn in zip(finals, call.turns, strict=True):
        # The final carries the whole utterance plus the hang-over LCA keeps (9 silent frames).
        assert request.audio_seconds >= (turn.end_s - turn.start_s) - 0.7
    assert result.open_at_end == 0


def test_finals_only_sends_the_same_finals_and_no_partial(call):
    both, _ = replay_virtual(call)
    clock = VirtualClock()
    endpoint = FakeEndpoint(clock)
    alone = CallTranscriber(endpoint, LAMBDA, clock, partials=False).run(call)
    assert alone.requests and all(r.final for r in alone.requests)
    assert [(f.channel, f.text) for f in alone.finals] == [(f.channel, f.text) for f in both.finals]


def test_websocket_flavour_has_the_shorter_hangover(call):
    result, _ = replay_virtual(call, WEBSOCKET)
    assert WEBSOCKET.hangover_seconds == pytest.approx(0.3)
    assert len(result.finals) >= len(call.turns)
    assert all(f.latency_s < 0.5 for f in result.finals)


def test_partials_every_interval_resend_the_growing_utterance(call):
    result, _ = replay_virtual(call)
    partials = [r for r in result.requests if not r.final]
    assert partials, "a 3 s utterance gets partials"
    gaps = np.diff([r.sent_at for r in partials])
    # One timer per call: never closer than 1 s, and while someone speaks, about every second.
    assert gaps.min() >= 1.0 - 1e-9
    by_segment: dict[str, list[float]] = {}
    for r in result.requests:
        by_segment.setdefault(r.segment_id, []).append(r.audio_seconds)
    longest = max(by_segment.values(), key=len)
    assert len(longest) >= 3 and longest == sorted(longest), "the same utterance, growing, then its final"
    assert np.diff([r.sent_at for r in partials if r.segment_id == result.finals[1].segment_id]).max() < 1.2


def test_request_time_becomes_lag_one_request_at_a_time(call):
    fast, _ = replay_virtual(call, latency_s=0.1)
    slow, _ = replay_virtual(call, latency_s=1.5)
    # Audio waits while a request runs: later finals fall further behind.
    assert max(f.latency_s for f in slow.finals) > max(f.latency_s for f in fast.finals) + 1.5
    for result in (fast, slow):
        ends = [r.sent_at + (0.1 if result is fast else 1.5) for r in result.requests]
        starts = [r.sent_at for r in result.requests]
        # A request starts only after the one before it ended: they never overlap within a call.
        assert all(s >= e - 1e-9 for e, s in zip(ends, starts[1:], strict=False))


def test_events_are_lcas_kinesis_records(call):
    result, _ = replay_virtual(call)
    assert result.events[0]["EventType"] == "START" and result.events[-1] == {
        "CallId": result.call_id, "EventType": "END"}
    segments = result.events[1:-1]
    assert segments and all(tuple(e) == SEGMENT_KEYS for e in segments)
    for e in segments:
        assert e["EventType"] == "ADD_TRANSCRIPT_SEGMENT" and e["CallId"] == result.call_id
        assert e["Channel"] in ("CALLER", "AGENT") and isinstance(e["IsPartial"], bool)
        assert isinstance(e["StartTime"], str) and float(e["StartTime"]) <= float(e["EndTime"])
        assert e["Transcript"] == e["Transcript"].strip() != ""
    finals = [e for e in segments if not e["IsPartial"]]
    assert [e["Channel"] for e in finals] == ["CALLER", "AGENT", "CALLER"]
    # A final closes its segment: partials of a segment come before its final.
    closed = set()
    for e in segments:
        assert e["SegmentId"] not in closed
        if not e["IsPartial"]:
            closed.add(e["SegmentId"])


def test_growing_payload_is_byte_identical_to_lcas_body(jfk):
    audio = np.random.default_rng(1).integers(-3000, 3000, 40000).astype(np.int16)
    payload = GrowingPayload()
    for end in (8000, 16000, 40000):
        payload.extend_to(audio[:end])
        assert payload.body() == lca_request_body(wav_bytes(audio[:end]))
    with pytest.raises(ValueError):
        payload.extend_to(audio[:100])


def test_linear_upsampling_matches_the_websocket_server():
    chunk = np.array([[0, 10], [3, -10], [4, 7]], dtype=np.int16)
    up = upsample_linear(chunk)
    # Math.round halves up; the last sample repeats (no look into the next chunk).
    assert up[:, 0].tolist() == [0, 2, 3, 4, 4, 4]
    assert up[:, 1].tolist() == [10, 0, -10, -1, 7, 7]


@pytest.mark.parametrize(("response", "lambda_text", "websocket_text"), [
    ({"text": " hello  world "}, "hello  world", "hello  world"),
    ({"error": "boom", "text": "x"}, "", ""),
    ({"text": "x", "no_speech_prob": 0.5}, "", ""),
    ({"text": "x", "no_speech_prob": 0.1}, "x", "x"),
    ({"text": ["a ", "b"]}, "a  b", "a  b"),
    ({"language": "en"}, "Error with transcription", ""),
])
def test_responses_are_read_as_lca_reads_them(response, lambda_text, websocket_text):
    assert read_text(response, LAMBDA) == lambda_text
    assert read_text(response, WEBSOCKET) == websocket_text


@pytest.mark.slow
def test_http_requests_look_like_lcas_and_stay_one_in_flight_per_call(short_call_clips):
    calls = [synthetic_call(short_call_clips, name=f"c{i}") for i in range(2)]
    with StandIn(delay_s=0.15) as server:
        run = replay_calls(calls[:1], lambda: HttpTransport(server.url), speed=4.0)
        assert server.max_in_flight == 1
        first = server.requests[0]
        assert first["path"] == "/invocations"
        assert first["headers"]["Content-Type"] == "application/json"
        assert "Accept" not in first["headers"]
        body = json.loads(first["body"])
        assert body["parameters"] == LCA_PARAMETERS
        wav = bytes(body["audio_input"])
        assert wav[:4] == b"RIFF" and struct.unpack("<HHI", wav[20:28]) == (1, 1, 16000)
        server.requests.clear()
        run2 = replay_calls(calls, lambda: HttpTransport(server.url), speed=4.0, stagger_s=0.5)
        assert server.max_in_flight <= 2
    assert not any(r.error for res in run.results + run2.results for r in res.requests)
    assert [f.text for f in run.results[0].finals][0].startswith("heard")


def test_transport_errors_are_lost_text_not_crashes(short_call_clips):
    transport = HttpTransport("http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(TransportError):
        transport.invoke(b"{}")
    run = replay_calls([synthetic_call(short_call_clips[:1])], lambda: HttpTransport("http://127.0.0.1:9"),
                       speed=8.0)
    result = run.results[0]
    assert result.requests and all(r.error for r in result.requests)
    assert [e["EventType"] for e in result.events] == ["START", "END"]


def test_call_wav_round_trip_and_bad_wav(tmp_path, call):
    path = write_call_wav(call, tmp_path / "call.wav")
    again = read_call_wav(path)
    assert np.array_equal(again.audio, call.audio)
    mono = tmp_path / "mono.wav"
    mono.write_bytes(wav_bytes(np.zeros(800, dtype=np.int16), rate=8000))
    with pytest.raises(ValueError, match="stereo 8 kHz"):
        read_call_wav(mono)
