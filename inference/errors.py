"""The two kinds of failure a request can meet, and the HTTP status each maps to.

A :class:`ClientError` is the caller's fault (bad JSON, bad audio, bad parameter, payload
too large, server full): the server answers it with its status and ``{"error": message}``.
Anything else that escapes the handler is an internal fault: a 500, logged with traceback.
"""

from __future__ import annotations


class ClientError(Exception):
    """A request the handler refuses; ``status`` is the HTTP status to answer with."""

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status

    @property
    def message(self) -> str:
        return str(self)


class PayloadTooLarge(ClientError):
    """The body exceeds SageMaker's real-time payload limit."""

    status = 413


class UnsupportedMediaType(ClientError):
    """The Content-Type names no format the handler decodes."""

    status = 415


class NotAcceptable(ClientError):
    """The Accept header asks for a format the handler cannot produce."""

    status = 406


class Overloaded(ClientError):
    """Every worker is busy and the waiting queue is full: try again later."""

    status = 503
