"""AWS event-stream messages (``application/vnd.amazon.eventstream``): encode, decode, unwrap.

A message is a 12-byte prelude (total length, headers length, CRC32 of those 8 bytes),
typed headers, the payload and a CRC32 of everything before it. A SigV4-signing caller
wraps each of its messages in an envelope whose headers are ``:date`` and
``:chunk-signature`` and whose payload is the inner message; an empty envelope ends its
stream. Signatures are not checked here: the local runtime trusts its callers.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

_PRELUDE = struct.Struct(">III")
_CRC = struct.Struct(">I")
# Header value types (the format's numbering).
_TRUE, _FALSE, _BYTE, _SHORT, _INT, _LONG, _BYTES, _STRING, _TIMESTAMP, _UUID = range(10)
_FIXED = {_BYTE: 1, _SHORT: 2, _INT: 4, _LONG: 8, _TIMESTAMP: 8, _UUID: 16}
MAX_MESSAGE_BYTES = 16 * 1024 * 1024  # the format's limit


class EventStreamError(ValueError):
    """Bytes that are not a well-formed event-stream message."""


@dataclass(frozen=True)
class Message:
    headers: dict[str, str | bytes | int | bool] = field(default_factory=dict)
    payload: bytes = b""

    @property
    def signed_envelope(self) -> bool:
        return ":chunk-signature" in self.headers


def encode(message: Message) -> bytes:
    """The message's bytes; str header values are strings, bytes are byte arrays."""
    headers = b"".join(_encode_header(name, value) for name, value in message.headers.items())
    total = _PRELUDE.size + len(headers) + len(message.payload) + _CRC.size
    prelude = struct.pack(">II", total, len(headers))
    prelude += _CRC.pack(zlib.crc32(prelude))
    body = prelude + headers + message.payload
    return body + _CRC.pack(zlib.crc32(body))


def _encode_header(name: str, value: str | bytes | int | bool) -> bytes:
    raw = name.encode()
    if isinstance(value, bool):
        encoded = bytes([_TRUE if value else _FALSE])
    elif isinstance(value, int):
        encoded = bytes([_INT]) + struct.pack(">i", value)
    elif isinstance(value, bytes):
        encoded = bytes([_BYTES]) + struct.pack(">H", len(value)) + value
    else:
        text = value.encode()
        encoded = bytes([_STRING]) + struct.pack(">H", len(text)) + text
    return bytes([len(raw)]) + raw + encoded


class Decoder:
    """Messages out of a byte stream fed in arbitrary pieces (HTTP/2 DATA frames)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Message]:
        """Add ``data``; return every message now complete.

        Raises:
            EventStreamError: a bad length or CRC.
        """
        self._buffer += data
        messages = []
        while len(self._buffer) >= _PRELUDE.size:
            total, _, prelude_crc = _PRELUDE.unpack_from(self._buffer)
            if zlib.crc32(self._buffer[:8]) != prelude_crc:  # before waiting for a damaged length
                raise EventStreamError("prelude CRC does not match")
            if not _PRELUDE.size + _CRC.size <= total <= MAX_MESSAGE_BYTES:
                raise EventStreamError(f"message length {total} is outside 16..{MAX_MESSAGE_BYTES}")
            if len(self._buffer) < total:
                break
            messages.append(decode(bytes(self._buffer[:total])))
            del self._buffer[:total]
        return messages

    @property
    def pending(self) -> int:
        """Bytes of an incomplete message still buffered."""
        return len(self._buffer)


def decode(data: bytes) -> Message:
    """One whole message.

    Raises:
        EventStreamError: a bad length or CRC, or a malformed header.
    """
    if len(data) < _PRELUDE.size + _CRC.size:
        raise EventStreamError("message shorter than its prelude")
    total, headers_length, prelude_crc = _PRELUDE.unpack_from(data)
    if total != len(data) or zlib.crc32(data[:8]) != prelude_crc:
        raise EventStreamError("prelude length or CRC does not match")
    if zlib.crc32(data[:-4]) != _CRC.unpack_from(data, total - 4)[0]:
        raise EventStreamError("message CRC does not match")
    end = _PRELUDE.size + headers_length
    if end > total - _CRC.size:
        raise EventStreamError("headers run past the message")
    return Message(_decode_headers(data[_PRELUDE.size:end]), bytes(data[end:total - _CRC.size]))


def _decode_headers(raw: bytes) -> dict[str, str | bytes | int | bool]:
    headers: dict[str, str | bytes | int | bool] = {}
    at = 0
    try:
        while at < len(raw):
            size = raw[at]
            name = raw[at + 1:at + 1 + size].decode()
            kind = raw[at + 1 + size]
            at += 2 + size
            if kind in (_TRUE, _FALSE):
                headers[name] = kind == _TRUE
            elif kind in (_BYTES, _STRING):
                (length,) = struct.unpack_from(">H", raw, at)
                value = raw[at + 2:at + 2 + length]
                headers[name] = value.decode() if kind == _STRING else bytes(value)
                at += 2 + length
            elif kind in _FIXED:
                width = _FIXED[kind]
                value = raw[at:at + width]
                headers[name] = bytes(value) if kind == _UUID else int.from_bytes(value, "big", signed=True)
                at += width
            else:
                raise EventStreamError(f"header {name!r} has unknown type {kind}")
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise EventStreamError(f"malformed headers: {exc}") from exc
    return headers


def unwrap(message: Message) -> Message | None:
    """The caller's event inside a signed envelope (the message itself if unsigned); None for
    the empty envelope that ends a signed stream."""
    if not message.signed_envelope:
        return message
    return decode(message.payload) if message.payload else None
