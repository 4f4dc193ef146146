"""SageMaker's contract between the caller's payload parts and the container's WebSocket frames.

From AWS's "Container Contract to Support Bidirectional Streaming Capabilities":

| caller -> runtime (PayloadPart)            | runtime -> container                 |
|--------------------------------------------|--------------------------------------|
| ``DataType=UTF8``                          | a text frame, the bytes untouched    |
| ``DataType=BINARY`` or none                | a binary frame                       |
| ``CompletionState=PARTIAL`` ... ``COMPLETE``| one message in continuation frames  |

| container -> runtime | runtime -> caller                                             |
|----------------------|---------------------------------------------------------------|
| a text frame         | a PayloadPart with ``DataType=UTF8``                          |
| a binary frame       | a PayloadPart with ``DataType=BINARY``                        |
| a Close frame        | a ``ModelStreamError``: ``ErrorCode`` the close code, ``Message`` the reason |
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

from local_runtime.eventstream import Message

UTF8, BINARY = "UTF8", "BINARY"
PARTIAL, COMPLETE = "PARTIAL", "COMPLETE"
PAYLOAD_PART = "PayloadPart"


class BadPayloadPart(ValueError):
    """A caller event the contract has no frame for."""


@dataclass(frozen=True)
class Frame:
    """One frame for the container: its data, and whether more of the same message follows."""

    data: str | bytes
    more: bool


def frame_of(event: Message) -> Frame:
    """The WebSocket frame for one caller event (already unwrapped from its signature).

    Raises:
        BadPayloadPart: not a PayloadPart event, an unknown DataType or CompletionState,
            or UTF8 bytes that are not UTF-8.
    """
    kind, name = event.headers.get(":message-type"), event.headers.get(":event-type")
    if kind != "event" or name != PAYLOAD_PART:
        raise BadPayloadPart(f"expected a {PAYLOAD_PART} event, got {kind}/{name}")
    data_type = event.headers.get("DataType", BINARY)
    state = event.headers.get("CompletionState", COMPLETE)
    if data_type not in (UTF8, BINARY):
        raise BadPayloadPart(f"DataType {data_type!r} is neither {UTF8} nor {BINARY}")
    if state not in (PARTIAL, COMPLETE):
        raise BadPayloadPart(f"CompletionState {state!r} is neither {PARTIAL} nor {COMPLETE}")
    if data_type == BINARY:
        return Frame(event.payload, state == PARTIAL)
    try:
        return Frame(event.payload.decode(), state == PARTIAL)
    except UnicodeDecodeError as exc:
        raise BadPayloadPart(f"a {UTF8} part is not UTF-8: {exc}") from exc


def payload_part(data: str | bytes) -> Message:
    """The caller's PayloadPart for one whole message from the container."""
    text = isinstance(data, str)
    return Message({":message-type": "event", ":event-type": PAYLOAD_PART,
                    ":content-type": "application/octet-stream", "DataType": UTF8 if text else BINARY,
                    "CompletionState": COMPLETE}, data.encode() if text else data)


def stream_error(kind: str, fields: dict[str, str]) -> Message:
    """A modelled in-stream exception (``ModelStreamError``, ``InternalStreamFailure``)."""
    return Message({":message-type": "exception", ":exception-type": kind, ":content-type": "application/json"},
                   json.dumps(fields).encode())


def model_stream_error(code: int | None, reason: str) -> Message:
    """The container closed the socket: its close code and reason, as SageMaker passes them on."""
    return stream_error("ModelStreamError", {"ErrorCode": str(code if code is not None else 1006),
                                             "Message": reason or "the model closed the stream"})


class Fragments:
    """The frames of one fragmented message, fed as the caller's PARTIAL parts arrive and sent
    to the container as continuation frames (``websockets`` sends an async iterator that way)."""

    def __init__(self, first: Frame) -> None:
        self.kind = type(first.data)
        self._queue: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self._queue.put_nowait(first.data)

    def add(self, frame: Frame) -> None:
        if type(frame.data) is not self.kind:
            raise BadPayloadPart("a fragmented message mixes UTF8 and BINARY parts")
        self._queue.put_nowait(frame.data)
        if not frame.more:
            self._queue.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[str | bytes]:
        while (data := await self._queue.get()) is not None:
            yield data
