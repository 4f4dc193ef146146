"""Helpers shared by the inference tests (plain HTTP with urllib, free ports)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from inference.codecs import DEFAULT_CONFIG, DecodedRequest, decode_audio, parse_request
from inference.config import ServingConfig

REPO = Path(__file__).resolve().parents[2]
SERVER_WORKERS = 1
SERVER_MAX_QUEUE = 1
# short connection timeouts so the tests of slow and idle clients take seconds
SERVER_ENV = {"WHISPER_BODY_TIMEOUT_S": "2", "WHISPER_IDLE_TIMEOUT_S": "1", "WHISPER_SHUTDOWN_GRACE_S": "3",
              # and streaming limits reachable in seconds
              "WHISPER_MAX_STREAMS": "2", "WHISPER_STREAM_IDLE_S": "2"}


def decode_request(body: bytes | str, content_type: str | None,
                   config: ServingConfig = DEFAULT_CONFIG) -> DecodedRequest:
    """Decode one request body within ``config``'s limits, the channels averaged: the handler's two
    steps (``parse_request``, ``decode_audio``) as one call, for the codec tests.

    Raises:
        ClientError: the body, its audio or its content type is unusable (4xx).
    """
    payload, parameters = parse_request(body, content_type, config)
    return DecodedRequest(decode_audio(payload, config), parameters)


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
         accept: str | None = None, timeout: float = 120, headers: dict | None = None) -> HttpAnswer:
    """POST with urllib; 4xx/5xx come back as answers, not exceptions."""
    headers = dict(headers or {})
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


def wait_for_ping(url: str, timeout: float, alive: Callable[[], bool] = lambda: True,
                  why: Callable[[], str] = lambda: "server did not start", poll_s: float = 0.02) -> None:
    """Poll ``url/ping`` until 200; fails when ``alive()`` turns false or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if get(f"{url}/ping").status == 200:
                return
        except OSError:
            pass
        assert alive() and time.monotonic() < deadline, why()
        time.sleep(poll_s)


@contextlib.contextmanager
def thread_server(app, **config) -> Iterator[str]:
    """``app`` served by a real uvicorn in a thread on a free port; yields its URL once /ping says 200."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="wsproto",
                                           **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_ping(url, 20)
        yield url
    finally:
        server.should_exit = True
        thread.join(10)
