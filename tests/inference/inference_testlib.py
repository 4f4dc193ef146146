"""Helpers shared by the inference tests (plain HTTP with urllib, free ports)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVER_WORKERS = 1
SERVER_MAX_QUEUE = 1
# short connection timeouts so the tests of slow and idle clients take seconds
SERVER_ENV = {"WHISPER_BODY_TIMEOUT_S": "2", "WHISPER_IDLE_TIMEOUT_S": "1", "WHISPER_SHUTDOWN_GRACE_S": "3"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class HttpAnswer:
    status: int
    headers: dict
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def post(url: str, body: bytes, content_type: str | None = "application/json",
         accept: str | None = None, timeout: float = 120) -> HttpAnswer:
    """POST with urllib; 4xx/5xx come back as answers, not exceptions."""
    headers = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if accept is not None:
        headers["Accept"] = accept
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpAnswer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as exc:
        return HttpAnswer(exc.code, dict(exc.headers), exc.read())


def get(url: str, timeout: float = 5) -> HttpAnswer:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return HttpAnswer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as exc:
        return HttpAnswer(exc.code, dict(exc.headers), exc.read())
