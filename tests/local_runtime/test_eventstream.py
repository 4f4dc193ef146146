"""The event-stream codec: what it encodes decodes back, and damaged bytes are refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from local_runtime import eventstream, frames
from local_runtime.eventstream import Decoder, EventStreamError, Message

header_values = st.one_of(st.text(max_size=40), st.binary(max_size=40), st.booleans(),
                          st.integers(min_value=-2**31, max_value=2**31 - 1))
messages = st.builds(Message, st.dictionaries(st.text(min_size=1, max_size=20), header_values, max_size=6),
                     st.binary(max_size=2000))


@given(st.lists(messages, max_size=5), st.integers(min_value=1, max_value=64))
def test_messages_fed_in_any_pieces_come_back_whole_and_in_order(sent, piece):
    data = b"".join(eventstream.encode(m) for m in sent)
    decoder, received = Decoder(), []
    for at in range(0, len(data), piece):
        received += decoder.feed(data[at:at + piece])
    assert received == sent and decoder.pending == 0


@pytest.mark.parametrize("at", [2, 9, 14, -2])
def test_a_flipped_byte_is_refused(at):
    data = bytearray(eventstream.encode(Message({":event-type": "PayloadPart"}, b"audio")))
    data[at] ^= 0xFF
    with pytest.raises(EventStreamError):
        Decoder().feed(bytes(data))


def test_a_signed_envelope_is_unwrapped_and_the_empty_one_ends_the_stream():
    inner = Message({":message-type": "event", ":event-type": "PayloadPart", "DataType": "UTF8"}, b"{}")
    envelope = Message({":date": 1, ":chunk-signature": b"\x00" * 32}, eventstream.encode(inner))
    assert eventstream.unwrap(envelope) == inner
    assert eventstream.unwrap(Message({":date": 1, ":chunk-signature": b"\x00" * 32})) is None


@pytest.mark.parametrize(("headers", "frame"), [
    ({"DataType": "UTF8"}, frames.Frame("é", False)),
    ({"DataType": "BINARY"}, frames.Frame("é".encode(), False)),
    ({}, frames.Frame("é".encode(), False)),
    ({"DataType": "UTF8", "CompletionState": "PARTIAL"}, frames.Frame("é", True)),
])
def test_payload_parts_map_to_frames_as_the_container_contract_says(headers, frame):
    event = Message({":message-type": "event", ":event-type": "PayloadPart", **headers}, "é".encode())
    assert frames.frame_of(event) == frame


@pytest.mark.parametrize("headers", [{"DataType": "TEXT"}, {"CompletionState": "DONE"}, {":event-type": "Other"}])
def test_a_part_the_contract_has_no_frame_for_is_refused(headers):
    event = Message({":message-type": "event", ":event-type": "PayloadPart", **headers}, b"x")
    with pytest.raises(frames.BadPayloadPart):
        frames.frame_of(event)
