"""AWS's own client (``aws-sdk-sagemaker-runtime-http2``) streams through the local runtime to
the real container server: HTTP/2, TLS, event-stream framing, the payload-part contract,
and SageMaker's errors."""

from __future__ import annotations

import json
import os
import urllib.parse

import pytest
from runtime_testlib import ENDPOINT

from local_runtime.callers import caller_command, run_caller
from replay.call_source import synthetic_call, write_call_wav
from replay.stream import QUERY, StreamResult, received, score

CALLER_TIMEOUT_S = 240
SPEED = 1.0


@pytest.fixture(scope="module")
def call(clips):
    """A two-channel telephone call (8 kHz) of real clips."""
    names = ("jfk", "cards-001", "goforward")
    return synthetic_call([next(c for c in clips if c.name == n) for n in names])


def closing_error(events: list[dict]) -> dict:
    assert events and events[-1].get("error") == "ModelStreamError", events[-3:]
    return events[-1]


@pytest.mark.slow
def test_a_call_streamed_with_awss_client_gets_interims_and_finals(runtime, call, tmp_path):
    """Deepgram's protocol under ModelInvocationPath/ModelQueryString: every turn final, WER
    bounded, the container's other messages (SpeechStarted, the closing Metadata) in between, and
    its close as ModelStreamError 1000. (Interims depend on a free worker, so on a busy machine
    there may be none; tests/inference checks them on the container's own route.)"""
    audio = tmp_path / "call.wav"
    write_call_wav(call, audio)
    query = urllib.parse.urlencode({**QUERY, "vad_events": "true"})
    argv = caller_command(runtime, ENDPOINT, audio=audio, path="v1/listen", query=query,
                          extra=["--speed", str(SPEED)])
    status, events, stderr = run_caller(argv, os.environ, CALLER_TIMEOUT_S)
    assert status == 0, stderr[-2000:]
    closing = closing_error(events)
    assert closing["code"] == "1000", closing  # the container closes normally after CloseStream
    result = StreamResult(call)
    for event in events:
        if event.get("part") == "UTF8":
            received(result, event["text"], event["arrived_s"])
    figures = score(result, speed=SPEED)
    assert figures.lost_turns == 0 and figures.turns == len(call.turns)
    assert figures.wer is not None and figures.wer <= 0.25, [m.transcript for m in result.messages]
    texts = [json.loads(e["text"]) for e in events if e.get("part") == "UTF8"]
    onsets = {m["channel"][0] for m in texts if m["type"] == "SpeechStarted"}
    assert onsets == {turn.channel for turn in call.turns}, "each speaking channel's SpeechStarted reaches the caller"
    assert texts[-1]["type"] == "Metadata"


def test_a_fragmented_text_message_reaches_the_container_as_one(runtime):
    """CloseStream sent as a PARTIAL and a COMPLETE part is one message to the container (two
    frames of half a JSON object each would be refused with 1008): it answers Metadata, closes 1000."""
    status, events, stderr = run_caller(caller_command(runtime, ENDPOINT, extra=["--fragment"]),
                                        os.environ, CALLER_TIMEOUT_S)
    assert status == 0, stderr[-2000:]
    assert [json.loads(e["text"])["type"] for e in events if e.get("part") == "UTF8"] == ["Metadata"]
    assert closing_error(events)["code"] == "1000"


def test_the_containers_close_reaches_the_caller_as_model_stream_error_with_code_and_reason(runtime):
    status, events, stderr = run_caller(
        caller_command(runtime, ENDPOINT, texts=['{"type": "Rewind"}'], extra=["--no-close-stream"]),
        os.environ, CALLER_TIMEOUT_S)
    assert status == 0, stderr[-2000:]
    error = closing_error(events)
    assert error["code"] == "1008" and "Rewind" in error["message"], error


@pytest.mark.parametrize(("endpoint", "options", "expected"), [
    ("no-such-endpoint", {}, "InputValidationError: Endpoint no-such-endpoint of account"),
    (ENDPOINT, {"path": "/v1/listen"}, "InputValidationError: ModelInvocationPath '/v1/listen'"),
    (ENDPOINT, {"path": "v1/speak"}, "ModelError: Received client error (403)"),
    (ENDPOINT, {"extra": ["--target-variant", "Blue"]}, "InputValidationError: Variant Blue of endpoint"),
])
def test_bad_requests_get_sagemakers_errors_before_the_stream(runtime, endpoint, options, expected):
    status, events, stderr = run_caller(caller_command(runtime, endpoint, **options), os.environ, CALLER_TIMEOUT_S)
    assert status == 1 and events == []
    assert stderr.strip().splitlines()[-1].startswith(f"ERROR: {expected}"), stderr[-1500:]
