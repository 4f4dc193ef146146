"""``multipart/form-data`` bodies (OpenAI's transcription request) -> the audio file and text fields.

The body is already read and bounded by the payload limit, so this parses the bytes in
hand: no temporary files, no streaming parser, no dependency beyond the standard library
(the artifact ships only the runtime wheels). Parts are found with ``bytes.find`` on the
boundary, so the audio is copied once; the number of parts, the size of each part's
headers and of each text field are bounded too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import ClientError

FILE_FIELD = "file"
MAX_PARTS = 64
MAX_HEADER_BYTES = 8 * 1024
MAX_FIELD_BYTES = 64 * 1024
_CRLF = b"\r\n"
_NAME = re.compile(r'(?:^|;)\s*name="([^"]*)"', re.I)
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,./:=? -]{1,70}")  # RFC 2046's bchars


@dataclass
class Form:
    """The ``file`` part's bytes and every other part as text (name -> values, in order)."""

    file: bytes
    fields: dict[str, list[str]] = field(default_factory=dict)


def parse_form(body: bytes, boundary: str | None) -> Form:
    """Split a ``multipart/form-data`` body with this ``boundary`` (the Content-Type's parameter).

    Raises:
        ClientError: no or bad boundary, a malformed body, too many or too large parts,
            no ``file`` part or more than one.
    """
    if not boundary or not _BOUNDARY.fullmatch(boundary):
        raise ClientError("multipart/form-data needs a valid 'boundary' parameter in its Content-Type")
    delimiter = b"--" + boundary.encode("ascii")
    if body.startswith(delimiter):
        pos = len(delimiter)
    else:  # a preamble before the first delimiter is allowed and ignored
        pos = body.find(_CRLF + delimiter)
        if pos < 0:
            raise ClientError("malformed multipart body: the boundary never occurs")
        pos += len(delimiter) + 2
    files: list[bytes] = []
    fields: dict[str, list[str]] = {}
    for _ in range(MAX_PARTS + 1):
        if body.startswith(b"--", pos):  # the closing delimiter
            return _form(files, fields)
        if not body.startswith(_CRLF, pos):
            raise ClientError("malformed multipart body: a boundary is not followed by a line break")
        head_end = body.find(_CRLF + _CRLF, pos, pos + 2 + MAX_HEADER_BYTES)
        if head_end < 0:
            raise ClientError(f"malformed multipart body: a part's headers do not end within {MAX_HEADER_BYTES} bytes")
        name = _part_name(body[pos + 2:head_end])
        start = head_end + 4
        end = body.find(_CRLF + delimiter, start)
        if end < 0:
            raise ClientError("malformed multipart body: a part has no closing boundary")
        if name == FILE_FIELD:
            files.append(body[start:end])
        else:
            fields.setdefault(name, []).append(_text(name, body, start, end))
        pos = end + 2 + len(delimiter)
    raise ClientError(f"multipart body has more than {MAX_PARTS} parts")


def _form(files: list[bytes], fields: dict[str, list[str]]) -> Form:
    if len(files) != 1:
        raise ClientError(f"multipart body needs exactly one '{FILE_FIELD}' part (found {len(files)})")
    return Form(files[0], fields)


def _part_name(head: bytes) -> str:
    for line in head.decode("latin-1").split("\r\n"):
        key, _, value = line.partition(":")
        if key.strip().lower() == "content-disposition":
            match = _NAME.search(value.split(";", 1)[1] if ";" in value else "")
            if match and value.strip().lower().startswith("form-data"):
                return match.group(1)
    raise ClientError("malformed multipart body: a part has no 'Content-Disposition: form-data; name=...'")


def _text(name: str, body: bytes, start: int, end: int) -> str:
    if end - start > MAX_FIELD_BYTES:
        raise ClientError(f"multipart field {name[:40]!r} is longer than {MAX_FIELD_BYTES} bytes")
    try:
        return body[start:end].decode("utf-8")
    except UnicodeDecodeError:
        raise ClientError(f"multipart field {name[:40]!r} is not UTF-8 text") from None
