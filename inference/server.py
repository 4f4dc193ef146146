"""The local endpoint: SageMaker's container HTTP contract on Starlette/uvicorn.

Routes:

* ``GET /ping``: 503 until the model is loaded and warmed, then 200.
* ``POST /invocations``: the container contract (4xx/5xx with ``{"error": ...}``).
* ``POST /endpoints/{name}/invocations``: the SageMaker Runtime API path, so boto3's
  ``invoke_endpoint`` with ``endpoint_url`` pointing here works unchanged; like
  SageMaker, a failed invocation answers ``ModelError`` (424) carrying the container's
  status and body as ``OriginalStatusCode`` / ``OriginalMessage``.

Concurrency: inference runs on ``WHISPER_WORKERS`` threads (CTranslate2 releases the GIL);
at most ``WHISPER_MAX_QUEUE`` further requests wait; beyond that the server answers 503
at once, before reading the body, so memory stays bounded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import handler
from .codecs import MAX_PAYLOAD_BYTES
from .errors import ClientError, Overloaded, PayloadTooLarge
from .model import ModelConfig

logger = logging.getLogger(__name__)

DEFAULT_MAX_QUEUE = 8
VARIANT = "AllTraffic"
_DRAIN_LIMIT = 4 * MAX_PAYLOAD_BYTES


class Admission:
    """Counts requests inside the server; refuses one more than ``capacity``."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._inside = 0
        self._lock = threading.Lock()

    @property
    def inside(self) -> int:
        return self._inside

    def enter(self) -> None:
        with self._lock:
            if self._inside >= self.capacity:
                raise Overloaded(f"server busy: {self._inside} requests in progress or queued; retry later")
            self._inside += 1

    def leave(self) -> None:
        with self._lock:
            self._inside -= 1


class ServerState:
    """The model (once loaded), the inference workers and the admission counter."""

    def __init__(self, model_dir: Path, workers: int, max_queue: int,
                 load: Callable[[Path], handler.Transcriber] = handler.model_fn) -> None:
        self.model_dir = model_dir
        self.transcriber: handler.Transcriber | None = None
        self.load_error: str | None = None
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="whisper")
        self.admission = Admission(workers + max_queue)
        self._load = load

    def load_model(self) -> None:
        """Load and warm the model (blocking); ``/ping`` turns 200 when it is done."""
        try:
            self.transcriber = self._load(self.model_dir)
            logger.info("model ready: %s", self.model_dir)
        except Exception as exc:  # reported by /ping; the traceback goes to the log
            logger.exception("model load failed")
            self.load_error = f"{type(exc).__name__}: {exc}"


def create_app(model_dir: str | Path, workers: int | None = None, max_queue: int | None = None,
               load: Callable[[Path], handler.Transcriber] = handler.model_fn) -> Starlette:
    """Build the ASGI app; the model loads in a background thread at start-up."""
    workers = workers or ModelConfig.from_env().num_workers
    max_queue = _max_queue() if max_queue is None else max_queue
    state = ServerState(Path(model_dir), workers, max_queue, load)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        loader = threading.Thread(target=state.load_model, name="model-loader", daemon=True)
        loader.start()
        try:
            yield
        finally:
            state.executor.shutdown(wait=False, cancel_futures=True)

    async def ping(request: Request) -> Response:
        if state.transcriber is not None:
            return JSONResponse({"status": "ok"})
        reason = f"model failed to load: {state.load_error}" if state.load_error else "model loading"
        return JSONResponse({"error": reason}, status_code=503)

    async def invocations(request: Request) -> Response:
        status, body = await _invoke(state, request)
        if status == 200:
            return Response(body, media_type=handler.JSON)
        return Response(body, status_code=status, media_type=handler.JSON)

    async def runtime_invocations(request: Request) -> Response:
        status, body = await _invoke(state, request)
        if status == 200:
            return Response(body, media_type=handler.JSON,
                            headers={"x-Amzn-Invoked-Production-Variant": VARIANT})
        kind = "client" if status < 500 else "server"
        name = request.path_params["name"]
        error = {
            "ErrorCode": f"{kind.upper()}_ERROR_FROM_MODEL",
            "OriginalStatusCode": status,
            "OriginalMessage": body.decode(),
            "Message": f"Received {kind} error ({status}) from primary with message \"{body.decode()}\". "
                       f"See the local server's log for endpoint {name}.",
            "LogStreamArn": "",
        }
        return JSONResponse(error, status_code=424, headers={"x-amzn-ErrorType": "ModelError"})

    app = Starlette(routes=[
        Route("/ping", ping, methods=["GET"]),
        Route("/invocations", invocations, methods=["POST"]),
        Route("/endpoints/{name}/invocations", runtime_invocations, methods=["POST"]),
    ], lifespan=lifespan)
    app.state.server = state
    return app


def _max_queue() -> int:
    raw = os.environ.get("WHISPER_MAX_QUEUE", "").strip()
    if not raw:
        return DEFAULT_MAX_QUEUE
    if not raw.isdigit():
        raise ValueError(f"WHISPER_MAX_QUEUE must be a non-negative integer, not {raw!r}")
    return int(raw)


async def _invoke(state: ServerState, request: Request) -> tuple[int, bytes]:
    """One invocation through the handler hooks -> (status, JSON body)."""
    try:
        if state.transcriber is None:
            raise ClientError("model not loaded yet; wait for /ping to answer 200", 503)
        handler.check_accept(request.headers.get("accept"))
        state.admission.enter()
    except ClientError as exc:
        return exc.status, _error_body(exc.message)
    try:
        body = await _read_body(request)
        content_type = request.headers.get("content-type")
        data = await run_in_threadpool(handler.input_fn, body, content_type)
        del body  # the decoded audio is all the worker needs
        loop = asyncio.get_running_loop()
        prediction = await loop.run_in_executor(state.executor, handler.predict_fn, data, state.transcriber)
        return 200, handler.output_fn(prediction, request.headers.get("accept")).encode()
    except ClientError as exc:
        return exc.status, _error_body(exc.message)
    except ClientDisconnect:
        return 400, _error_body("client disconnected")
    except Exception as exc:
        logger.exception("invocation failed")
        return 500, _error_body(f"internal error: {type(exc).__name__}: {exc}")
    finally:
        state.admission.leave()


async def _read_body(request: Request) -> bytes:
    """The body, keeping at most SageMaker's 6 MB in memory.

    An oversize body is read to its end and dropped (up to ``_DRAIN_LIMIT``) before the
    413 goes out: answering mid-upload makes most clients report a broken pipe instead
    of the error.
    """
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > _DRAIN_LIMIT:
        raise PayloadTooLarge(f"payload is {declared} bytes; the limit is {MAX_PAYLOAD_BYTES} (6 MB)")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= MAX_PAYLOAD_BYTES:
            chunks.append(chunk)
        elif size > _DRAIN_LIMIT:
            break
    if size > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(f"payload of {size} bytes or more exceeds the limit of {MAX_PAYLOAD_BYTES} (6 MB)")
    return b"".join(chunks)


def _error_body(message: str) -> bytes:
    return json.dumps({"error": message}).encode()
