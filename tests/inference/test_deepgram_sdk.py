"""Deepgram's own Python SDK (deepgram-sdk 7) against the streaming route: a client no one here wrote.

The SDK parses each message into its typed models and drops, with a warning, any it
cannot parse; so interim and final ``ListenV1Results`` arriving typed is the protocol's
conformance. The models are also validated strictly (pydantic), which the SDK skips.
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
import websockets
from deepgram import AsyncDeepgramClient
from deepgram.environment import DeepgramClientEnvironment
from deepgram.listen.v1.types.listen_v1metadata import ListenV1Metadata
from deepgram.listen.v1.types.listen_v1results import ListenV1Results
from deepgram.listen.v1.types.listen_v1speech_started import ListenV1SpeechStarted
from deepgram.listen.v1.types.listen_v1utterance_end import ListenV1UtteranceEnd

from replay.call_source import synthetic_call
from replay.lca_audio import TELEPHONE_RATE
from replay.wer import wer


def local_client(http_url: str) -> AsyncDeepgramClient:
    ws = http_url.replace("http://", "ws://", 1)
    environment = DeepgramClientEnvironment(base=http_url, production=ws, agent=ws, agent_rest=http_url)
    return AsyncDeepgramClient(api_key="unused-locally", environment=environment)


async def stream_with_sdk(http_url: str, call) -> list:
    received = []
    async with local_client(http_url).listen.v1.connect(
            model="whisper", encoding="linear16", sample_rate=str(TELEPHONE_RATE), channels="2",
            multichannel="true", interim_results="true", utterance_end_ms="1000", vad_events="true",
            punctuate="true", smart_format="true") as socket:
        async def receive() -> None:
            async for message in socket:
                received.append(message)

        reader = asyncio.ensure_future(receive())
        frame, started = TELEPHONE_RATE // 10, time.monotonic()
        for index, at in enumerate(range(0, len(call.audio), frame)):
            await socket.send_media(call.audio[at:at + frame].astype("<i2").tobytes())
            await asyncio.sleep(max(0.0, started + (index + 1) * 0.1 - time.monotonic()))  # the call's pace
        await socket.send_close_stream()
        await reader
    return received


@pytest.mark.slow
def test_deepgram_sdk_streams_a_two_channel_call(server, clips, caplog):
    names = ("librivox-0870", "cards-005", "goforward")
    call = synthetic_call([next(c for c in clips if c.name == n) for n in names])
    with caplog.at_level(logging.WARNING, logger="deepgram"):
        received = asyncio.run(stream_with_sdk(server.url, call))
    assert "Skipping unknown WebSocket message" not in caplog.text, "the SDK dropped a message it could not parse"
    results = [m for m in received if isinstance(m, ListenV1Results)]
    assert {type(m) for m in received} <= {ListenV1Results, ListenV1Metadata, ListenV1SpeechStarted,
                                           ListenV1UtteranceEnd}
    for message in received:
        type(message).model_validate(message.model_dump())  # every required field present and typed
    assert any(not r.is_final for r in results), "interim results"
    assert any(r.speech_final for r in results), "finals at an endpoint"
    assert isinstance(received[-1], ListenV1Metadata)
    assert {tuple(m.channel) for m in received if isinstance(m, ListenV1SpeechStarted)} == {(0, 2), (1, 2)}
    assert any(isinstance(m, ListenV1UtteranceEnd) for m in received)
    for channel in (0, 1):
        heard = " ".join(r.channel.alternatives[0].transcript for r in results
                         if r.is_final and r.channel_index[0] == channel)
        assert wer([" ".join(call.references(channel))], [heard]) <= 0.3, heard


def test_deepgram_sdk_sees_the_refusal(server):
    """A model this endpoint does not serve: the SDK's receive fails with the close code and reason."""
    async def connect() -> None:
        async with local_client(server.url).listen.v1.connect(model="nova-3") as socket:
            await socket.recv()

    with pytest.raises(websockets.ConnectionClosed) as raised:
        asyncio.run(connect())
    assert raised.value.rcvd.code == 1008 and "not served here" in raised.value.rcvd.reason
