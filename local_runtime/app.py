"""The HTTP API of ``sagemaker-runtime-http2``: one route, and SageMaker's errors for the rest.

``POST /endpoints/{EndpointName}/invocations-bidirectional-stream`` with the headers
``X-Amzn-SageMaker-Model-Invocation-Path`` (ModelInvocationPath, no leading slash: the
sidecar adds it), ``X-Amzn-SageMaker-Model-Query-String`` (ModelQueryString) and
``X-Amzn-SageMaker-Target-Variant``. Before the stream starts, errors are restJson1:
a status, ``x-amzn-ErrorType`` and a JSON body with ``Message`` (and ``ErrorCode``):

| fault                                   | status | error type             |
|-----------------------------------------|--------|------------------------|
| unknown endpoint or variant, bad path or query | 400 | InputValidationError |
| the container refuses or fails the WebSocket handshake | 424 | ModelError    |
| the container cannot be reached         | 503    | ServiceUnavailableError |
| another path or method                  | 404    | UnknownOperationException |

Once the 200 is sent, errors travel in the stream (``bridge``).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, InvalidStatus

from local_runtime import bridge

logger = logging.getLogger(__name__)

ROUTE = re.compile(r"^/endpoints/(?P<name>[^/]+)/invocations-bidirectional-stream$")
DEFAULT_PATH = "invocations-bidirectional-stream"
VARIANT = "AllTraffic"
PATH_HEADER = "x-amzn-sagemaker-model-invocation-path"
QUERY_HEADER = "x-amzn-sagemaker-model-query-string"
VARIANT_HEADER = "x-amzn-sagemaker-target-variant"
# A path the sidecar can append to the container's address: URL path characters, no "..".
_PATH = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@%-]+(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$")
_QUERY = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$")
MAX_PATH, MAX_QUERY = 100, 2048


class RequestRejected(Exception):
    def __init__(self, status: int, kind: str, message: str, **fields) -> None:
        super().__init__(message)
        self.status, self.kind, self.fields = status, kind, {"Message": message, **fields}


@dataclass(frozen=True)
class RuntimeOptions:
    """What the local runtime serves.

    Attributes:
        endpoints: endpoint name -> the container's base URL (``http://127.0.0.1:8080``).
        drain_s: how long what the container sends after the caller's last event is still relayed.
        open_timeout_s: the WebSocket handshake's bound (SageMaker wants sockets accepted in 250 ms).
    """

    endpoints: Mapping[str, str]
    drain_s: float = 300.0
    open_timeout_s: float = 10.0


def container_url(base: str, path: str | None, query: str | None) -> str:
    """The WebSocket URL the sidecar opens for this invocation.

    Raises:
        RequestRejected: a path with a leading slash or outside URL path characters, a bad query.
    """
    if path is not None and (len(path) > MAX_PATH or not _PATH.match(path) or ".." in path.split("/")):
        raise RequestRejected(400, "InputValidationError", f"ModelInvocationPath {path!r} is not a relative URL "
                              f"path of at most {MAX_PATH} characters (no leading '/': it is added)")
    if query is not None and (len(query) > MAX_QUERY or not _QUERY.match(query)):
        raise RequestRejected(400, "InputValidationError",
                              f"ModelQueryString is not a URL query of at most {MAX_QUERY} characters")
    ws_base = "ws" + base.removeprefix("http") if base.startswith("http") else base
    return f"{ws_base.rstrip('/')}/{path or DEFAULT_PATH}" + (f"?{query}" if query else "")


class RuntimeApp:
    """The ASGI application (served by hypercorn over HTTP/2 and TLS)."""

    def __init__(self, options: RuntimeOptions) -> None:
        self.options = options

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] == "lifespan":
            return await _lifespan(receive, send)
        if scope["type"] != "http":
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        request_id = str(uuid.uuid4())
        try:
            url = self._target(scope, headers)
            socket = await self._open(url)
        except RequestRejected as exc:
            logger.info("rejected %s %s: %s", scope["method"], scope["path"], exc)
            return await _respond_error(send, exc, request_id)
        logger.info("stream %s -> %s", request_id, url)
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/vnd.amazon.eventstream"),
            (b"x-amzn-invoked-production-variant", VARIANT.encode()),
            (b"x-amzn-requestid", request_id.encode())]})

        async def send_body(data: bytes, more: bool) -> None:
            await send({"type": "http.response.body", "body": data, "more_body": more})

        async with socket:
            await bridge.run(socket, receive, send_body, self.options.drain_s)

    def _target(self, scope: dict, headers: dict[str, str]) -> str:
        route = ROUTE.match(scope["path"])
        if route is None or scope["method"] != "POST":
            raise RequestRejected(404, "UnknownOperationException",
                                  f"no operation at {scope['method']} {scope['path']}")
        name = route["name"]
        if name not in self.options.endpoints:
            raise RequestRejected(400, "InputValidationError", f"Endpoint {name} of account 000000000000 not found.")
        variant = headers.get(VARIANT_HEADER)
        if variant is not None and variant != VARIANT:
            raise RequestRejected(400, "InputValidationError",
                                  f"Variant {variant} of endpoint {name} not found (it has {VARIANT}).")
        return container_url(self.options.endpoints[name], headers.get(PATH_HEADER), headers.get(QUERY_HEADER))

    async def _open(self, url: str):
        try:
            return await connect(url, max_size=None, open_timeout=self.options.open_timeout_s,
                                 ping_interval=60, ping_timeout=None)
        except InvalidStatus as exc:
            status = exc.response.status_code
            body = exc.response.body.decode(errors="replace") if exc.response.body else ""
            raise RequestRejected(424, "ModelError", f"Received client error ({status}) from primary with message "
                                  f"{body!r}.", OriginalStatusCode=status, OriginalMessage=body,
                                  ErrorCode="CLIENT_ERROR_FROM_MODEL") from exc
        except InvalidHandshake as exc:
            raise RequestRejected(424, "ModelError", f"the model did not complete the WebSocket handshake: {exc}",
                                  ErrorCode="CLIENT_ERROR_FROM_MODEL") from exc
        except (OSError, TimeoutError) as exc:
            raise RequestRejected(503, "ServiceUnavailableError",
                                  f"the model's container cannot be reached: {exc}") from exc


async def _respond_error(send, error: RequestRejected, request_id: str) -> None:
    body = json.dumps(error.fields).encode()
    await send({"type": "http.response.start", "status": error.status, "headers": [
        (b"content-type", b"application/json"), (b"x-amzn-errortype", error.kind.encode()),
        (b"x-amzn-requestid", request_id.encode())]})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
