"""One bidirectional stream: the caller's HTTP/2 request body to the container's WebSocket and back.

Two pumps run until the container closes the socket. Caller -> container: each event-stream
message is unwrapped from its signature and becomes one frame (``frames``). Container ->
caller: each message becomes a PayloadPart, and the Close frame a ``ModelStreamError``,
after which the response ends. A caller that ends its input (the empty signed envelope, or
HTTP/2 END_STREAM) leaves the socket open, as a half-close: what the container still sends
reaches it, until the container closes or ``drain_s`` passes. A caller that goes away
closes the socket (1001). A malformed event ends the stream with ``InternalStreamFailure``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from local_runtime import eventstream, frames

logger = logging.getLogger(__name__)

Receive = Callable[[], Awaitable[dict]]
SendBody = Callable[[bytes, bool], Awaitable[None]]
GOING_AWAY, NORMAL = 1001, 1000


class CallerGone(Exception):
    """The caller's connection closed before the container did."""


async def run(socket: ClientConnection, receive: Receive, send_body: SendBody, drain_s: float) -> None:
    """Pump both ways over ``socket`` until the container closes it; ``send_body(data, more)``.

    The response always ends: on a fault of the runtime itself, with ``InternalStreamFailure``.
    """
    ended = False

    async def send(data: bytes, more: bool) -> None:
        nonlocal ended
        if not ended:
            ended = not more
            await send_body(data, more)

    upstream = asyncio.ensure_future(_caller_to_container(socket, receive))
    downstream = asyncio.ensure_future(_container_to_caller(socket, send))
    try:
        done, _ = await asyncio.wait({upstream, downstream}, return_when=asyncio.FIRST_COMPLETED)
        if upstream in done and upstream.exception() is None:  # the caller finished, or the container left
            try:
                await asyncio.wait_for(asyncio.shield(downstream), drain_s)
            except TimeoutError:
                await socket.close(NORMAL, "the caller ended its stream")
                await downstream
        elif upstream in done:
            await _fail(upstream.exception(), socket, send, downstream)
        else:
            await downstream
    except Exception as exc:
        logger.exception("a stream failed")
        await send(eventstream.encode(frames.stream_error("InternalStreamFailure", {"Message": str(exc)})), False)
    finally:
        for task in (upstream, downstream):
            task.cancel()
        await asyncio.gather(upstream, downstream, return_exceptions=True)


async def _fail(error: BaseException, socket: ClientConnection, send_body: SendBody,
                downstream: asyncio.Future) -> None:
    downstream.cancel()
    if isinstance(error, CallerGone):
        await socket.close(GOING_AWAY, "the caller closed its connection")
        return
    if not isinstance(error, eventstream.EventStreamError | frames.BadPayloadPart):
        raise error
    logger.info("ending a stream: %s", error)
    await socket.close(NORMAL, "the runtime ended the stream")
    failure = frames.stream_error("InternalStreamFailure", {"Message": str(error)})
    await send_body(eventstream.encode(failure), False)


async def _caller_to_container(socket: ClientConnection, receive: Receive) -> None:
    try:
        await _relay_events(socket, receive)
    except ConnectionClosed:
        pass  # the container closed: _container_to_caller tells the caller


async def _relay_events(socket: ClientConnection, receive: Receive) -> None:
    decoder = eventstream.Decoder()
    fragments: frames.Fragments | None = None
    sending: asyncio.Future | None = None
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise CallerGone
        for envelope in decoder.feed(message.get("body", b"")):
            event = eventstream.unwrap(envelope)
            if event is None:  # the signed stream's end
                return _check_ended_between_messages(sending)
            frame = frames.frame_of(event)
            if fragments is not None:
                fragments.add(frame)
                if not frame.more:
                    await sending
                    fragments = sending = None
            elif frame.more:
                fragments = frames.Fragments(frame)
                sending = asyncio.ensure_future(socket.send(fragments))
            else:
                await socket.send(frame.data)
        if not message.get("more_body", False):
            if decoder.pending:
                raise eventstream.EventStreamError(f"the stream ended inside a message ({decoder.pending} bytes)")
            return _check_ended_between_messages(sending)


def _check_ended_between_messages(sending: asyncio.Future | None) -> None:
    """Raises BadPayloadPart if a fragmented message is still open (PARTIAL without COMPLETE)."""
    if sending is not None:
        raise frames.BadPayloadPart("the stream ended inside a PARTIAL message")


async def _container_to_caller(socket: ClientConnection, send_body: SendBody) -> None:
    try:
        async for data in socket:
            await send_body(eventstream.encode(frames.payload_part(data)), True)
    except ConnectionClosed:
        pass
    close = socket.protocol.close_rcvd  # None: the connection broke without a Close frame
    code, reason = (close.code, close.reason) if close else (None, "the model's connection was lost")
    await send_body(eventstream.encode(frames.model_stream_error(code, reason)), True)
    await send_body(b"", False)
