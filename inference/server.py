"""The local endpoint: SageMaker's container HTTP contract on Starlette/uvicorn.

Routes:

* ``GET`` or ``POST /ping``: 503 until the model is loaded and warmed, then 200 (SageMaker's
  bidirectional-streaming contract pings with either method).
* ``POST /invocations``: the container contract (4xx/5xx with ``{"error": ...}``).
* ``POST /endpoints/{name}/invocations``: the SageMaker Runtime API path, so boto3's
  ``invoke_endpoint`` with ``endpoint_url`` pointing here works unchanged; like
  SageMaker, a failed invocation answers ``ModelError`` (424) carrying the container's
  status and body as ``OriginalStatusCode`` / ``OriginalMessage``.
* ``POST /v1/audio/transcriptions``: OpenAI's transcription API (the same handler; a
  multipart request, ``json`` by default, errors in OpenAI's ``{"error": {"message", "type"}}``),
  so OpenAI's clients work with ``base_url`` pointing at ``/v1``.
* WebSocket ``/invocations-bidirectional-stream`` and ``/v1/listen``: live transcription
  as a stream (SageMaker's bidirectional streaming, Deepgram's live API; ``stream_route.py``).

Each route also reads parameters from ``X-Amzn-SageMaker-Custom-Attributes``, which
SageMaker forwards to the container (``response_format=srt;channels=separate``).

Concurrency and bounds (all from the :class:`~.config.ServingConfig`): at most
``max_reading`` bodies are received at once, each within ``body_timeout_s`` (else 408);
a request takes a place only once its body is in: inference runs on ``workers`` threads
(CTranslate2 releases the GIL) and at most ``max_queue`` further requests wait, beyond
that 503 at once. So slow clients hold no worker, and memory is bounded by the
configuration (bodies being read + admitted requests), not by what clients send. When a
client goes away its request is cancelled: queued work is discarded at its first step,
running work stops at its next decoder call.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from . import formats, handler
from .config import ServingConfig
from .errors import ClientError, Overloaded, PayloadTooLarge
from .model import Cancelled
from .stream_route import PATHS as STREAM_PATHS
from .stream_route import Streams, stream_endpoint

logger = logging.getLogger(__name__)

VARIANT = "AllTraffic"
ATTRIBUTES = "x-amzn-sagemaker-custom-attributes"
_DRAIN_MAX = 64 << 20  # past the limit, bytes read and dropped so the client sees the 413 (see _read_body)


class Admission:
    """Counts requests inside the server; refuses one more than ``capacity``."""

    def __init__(self, capacity: int, what: str) -> None:
        self.capacity = capacity
        self.what = what
        self._inside = 0
        self._lock = threading.Lock()

    @property
    def inside(self) -> int:
        return self._inside

    def enter(self) -> None:
        with self._lock:
            if self._inside >= self.capacity:
                raise Overloaded(f"server busy: {self._inside} {self.what}; retry later")
            self._inside += 1

    def leave(self) -> None:
        with self._lock:
            self._inside -= 1


class ServerState:
    """The model (once loaded), the inference workers, the admission counters, running work."""

    def __init__(self, model_dir: Path, config: ServingConfig,
                 load: Callable[[Path, ServingConfig], handler.Transcriber] = handler.load_transcriber) -> None:
        self.model_dir = model_dir
        self.config = config.for_model(model_dir)
        self.transcriber: handler.Transcriber | None = None
        self.load_error: str | None = None
        self.executor = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="whisper")
        self.reading = Admission(config.max_reading, "request bodies being received (WHISPER_MAX_READING)")
        self.admission = Admission(config.workers + config.max_queue,
                                   "requests in progress or queued (WHISPER_WORKERS + WHISPER_MAX_QUEUE)")
        self.running: set[threading.Event] = set()
        self._load = load

    def stop_work(self) -> None:
        """Cancel queued and running transcriptions: the server is stopping."""
        for cancelled in list(self.running):
            cancelled.set()
        self.executor.shutdown(wait=False, cancel_futures=True)

    def load_model(self) -> None:
        """Load and warm the model (blocking); ``/ping`` turns 200 when it is done."""
        try:
            self.transcriber = self._load(self.model_dir, self.config)
            logger.info("model ready: %s", self.model_dir)
        except Exception as exc:  # reported by /ping; the traceback goes to the log
            logger.exception("model load failed")
            self.load_error = f"{type(exc).__name__}: {exc}"


def create_app(model_dir: str | Path, config: ServingConfig | None = None,
               load: Callable[[Path, ServingConfig], handler.Transcriber] = handler.load_transcriber,
               extra_routes: Sequence[Route] = ()) -> Starlette:
    """Build the ASGI app (``config`` defaults to the environment); the model loads in a
    background thread at start-up. ``extra_routes`` are served beside the container contract
    (what the SageMaker platform itself would answer, emulated for local use)."""
    state = ServerState(Path(model_dir), config or ServingConfig.from_env(), load)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        loader = threading.Thread(target=state.load_model, name="model-loader", daemon=True)
        loader.start()
        try:
            yield
        finally:
            await app.state.streams.close_all()
            state.stop_work()

    async def ping(request: Request) -> Response:
        if state.transcriber is not None:
            return JSONResponse({"status": "ok"})
        reason = f"model failed to load: {state.load_error}" if state.load_error else "model loading"
        return JSONResponse({"error": reason}, status_code=503)

    async def invocations(request: Request) -> Response:
        status, body, media_type = await _invoke(state, request)
        return Response(body, status_code=status, media_type=media_type)

    async def openai_transcriptions(request: Request) -> Response:
        status, body, media_type = await _invoke(state, request, default_format="json")
        if status == 200:
            return Response(body, media_type=media_type)
        kind = "invalid_request_error" if status < 500 else "server_error"
        error = {"message": json.loads(body)["error"], "type": kind, "param": None, "code": None}
        return JSONResponse({"error": error}, status_code=status)

    async def runtime_invocations(request: Request) -> Response:
        status, body, media_type = await _invoke(state, request)
        if status == 200:
            return Response(body, media_type=media_type, headers={"x-Amzn-Invoked-Production-Variant": VARIANT})
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
        Route("/ping", ping, methods=["GET", "POST"]),
        Route("/invocations", invocations, methods=["POST"]),
        Route("/endpoints/{name}/invocations", runtime_invocations, methods=["POST"]),
        Route("/v1/audio/transcriptions", openai_transcriptions, methods=["POST"]),
        *(WebSocketRoute(path, stream_endpoint) for path in STREAM_PATHS),
        *extra_routes,
    ], lifespan=lifespan)
    app.state.server = state
    app.state.streams = Streams()
    return app


async def _invoke(state: ServerState, request: Request, default_format: str = formats.LCA) -> tuple[int, bytes, str]:
    """One invocation through the handler hooks -> (status, body, media type); errors are JSON."""
    accept = request.headers.get("accept")
    try:
        if state.transcriber is None:
            raise ClientError("model not loaded yet; wait for /ping to answer 200", 503)
        handler.check_accept(accept)
        body = await _receive(state, request)
        state.admission.enter()  # a place for work, taken only once the body is in
    except ClientError as exc:
        return exc.status, _error_body(exc.message), handler.JSON
    except ClientDisconnect:
        return 400, _error_body("client disconnected"), handler.JSON
    try:
        data = await run_in_threadpool(handler.decode_invocation, body, request.headers.get("content-type"),
                                       state.config, request.headers.get(ATTRIBUTES))
        del body  # the decoded audio is all the worker needs
        prediction = await _predict(state, request, data)
        fmt = handler.choose_format(prediction, accept, default_format)
        return 200, formats.render(prediction, fmt).encode(), formats.MEDIA_TYPES[fmt]
    except ClientError as exc:
        return exc.status, _error_body(exc.message), handler.JSON
    except (ClientDisconnect, Cancelled):
        return 400, _error_body("client disconnected"), handler.JSON  # nobody reads it; keeps the log quiet
    except Exception as exc:
        logger.exception("invocation failed")
        return 500, _error_body(f"internal error: {type(exc).__name__}: {exc}"), handler.JSON
    finally:
        state.admission.leave()


async def _receive(state: ServerState, request: Request) -> bytes:
    """The body, read within the body timeout, holding one of the ``max_reading`` places meanwhile."""
    state.reading.enter()
    try:
        return await asyncio.wait_for(_read_body(request, state.config.max_payload_bytes), state.config.body_timeout_s)
    except asyncio.TimeoutError:
        raise ClientError(f"the request body did not arrive within {state.config.body_timeout_s:g} s "
                          "(WHISPER_BODY_TIMEOUT_S)", 408) from None
    finally:
        state.reading.leave()


async def _predict(state: ServerState, request: Request, data: handler.Invocation) -> dict:
    """Run ``predict_fn`` on a worker; if the client leaves first, cancel it and wait for it to stop."""
    loop = asyncio.get_running_loop()
    state.running.add(data.cancelled)
    work = loop.run_in_executor(state.executor, handler.predict_fn, data, state.transcriber)
    gone = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({work, gone}, return_when=asyncio.FIRST_COMPLETED)
        if not work.done():
            data.cancelled.set()  # a queued request stops at its first step, a running one at its next
        return await asyncio.shield(work)
    except asyncio.CancelledError:  # the server's graceful-shutdown timeout cancelled this task
        data.cancelled.set()
        raise
    finally:
        gone.cancel()
        state.running.discard(data.cancelled)


async def _disconnected(request: Request) -> None:
    """Returns when the client has gone (once the body is read, receive() waits for that)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, keeping at most ``limit`` bytes (``WHISPER_MAX_PAYLOAD_BYTES``) in memory.

    An oversize body is read to its end and dropped (up to 4x the limit, at most 64 MiB
    beyond it) before the 413 goes out: answering mid-upload makes most clients report a
    broken pipe instead of the error.
    """
    drain = limit + min(3 * limit, _DRAIN_MAX)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > drain:
        raise PayloadTooLarge(f"payload is {declared} bytes; the limit is {limit} (WHISPER_MAX_PAYLOAD_BYTES)")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        elif size > drain:
            break
    if size > limit:
        raise PayloadTooLarge(f"payload of {size} bytes or more exceeds the limit of {limit} "
                              "(WHISPER_MAX_PAYLOAD_BYTES)")
    return b"".join(chunks)


def _error_body(message: str) -> bytes:
    return json.dumps({"error": message}).encode()
