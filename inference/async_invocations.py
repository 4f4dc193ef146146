"""SageMaker's asynchronous inference, emulated on the local server.

``POST /endpoints/{name}/async-invocations`` is what boto3's ``sagemaker-runtime``
``invoke_endpoint_async`` sends: the input's S3 URI in ``X-Amzn-SageMaker-InputLocation``
(or a small inline body), the container's content type, accept and custom attributes in
``X-Amzn-SageMaker-*`` headers. The answer comes at once: 202 with ``InferenceId`` in the
body and the output and failure locations in headers. A bounded pool then runs each
request (:mod:`.async_jobs`): at most ``max_concurrent`` at once and ``max_queue`` waiting;
beyond that, 503 ``ServiceUnavailable`` at once. Bad requests are 400 ``ValidationError``,
in AWS's error shape (``x-amzn-ErrorType`` header, ``{"message": ...}`` body), so boto3
raises ``ClientError`` with those codes.

The routes are mounted through ``create_app(..., extra_routes=...)`` only when the server
is given an output path (``python -m inference serve --async-output-path s3://...``).
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import uuid
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .async_jobs import Job, Platform
from .codecs import MAX_PAYLOAD_BYTES
from .errors import ClientError, Overloaded
from .server import Admission

logger = logging.getLogger(__name__)

MAX_INLINE_BODY = 128_000  # InvokeEndpointAsync's inline Body limit
_S3_PATH = re.compile(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?")
_S3_OBJECT = re.compile(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+")
_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]*:[0-9]{12}:[a-zA-Z0-9_.-]+")
_HEADER = "x-amzn-sagemaker-"


@dataclass(frozen=True)
class AsyncSettings:
    """What an endpoint configuration's ``AsyncInferenceConfig`` says, for the local server.

    Args:
        output_path: ``s3://bucket[/prefix]`` for results (``<output_path>/<inference id>.out``).
        failure_path: ``s3://bucket[/prefix]`` for failures (``<failure_path>/<inference id>-error.out``).
        success_topic, error_topic: SNS topic ARNs notified of each result.
        max_concurrent: requests sent to the container at once.
        max_queue: admitted requests that may wait; beyond, 503 ServiceUnavailable.
        container_url: where to POST the input; default this server's own ``/invocations``.
        max_input_bytes: the largest input read from S3 (the container's body limit).
    """

    output_path: str
    failure_path: str | None = None
    success_topic: str | None = None
    error_topic: str | None = None
    max_concurrent: int = 1
    max_queue: int = 64
    container_url: str | None = None
    max_input_bytes: int = MAX_PAYLOAD_BYTES

    def checked(self) -> AsyncSettings:
        """Raise ValueError naming the first malformed setting."""
        for name, path in (("output path", self.output_path), ("failure path", self.failure_path)):
            if path is not None and not _S3_PATH.fullmatch(path):
                raise ValueError(f"the asynchronous {name} must be s3://bucket[/prefix], not {path!r}")
        for name, arn in (("success topic", self.success_topic), ("error topic", self.error_topic)):
            if arn is not None and not _TOPIC_ARN.fullmatch(arn):
                raise ValueError(f"the asynchronous {name} must be an SNS topic ARN, not {arn!r}")
        if self.max_concurrent < 1 or self.max_queue < 0:
            raise ValueError("asynchronous max concurrent must be at least 1 and max queue not negative")
        return self


class ValidationError(ClientError):
    """A malformed InvokeEndpointAsync request (400 ValidationError)."""


class AsyncInvocations:
    """The asynchronous route and its worker pool (daemon threads: a stopping server drops
    queued work, as a terminated instance would)."""

    def __init__(self, settings: AsyncSettings, platform: Platform | None = None) -> None:
        self.settings = settings.checked()
        self._platform = platform
        self._platform_lock = threading.Lock()
        self.admission = Admission(settings.max_concurrent + settings.max_queue,
                                   "asynchronous requests in progress or queued (--async-max-concurrent + "
                                   "--async-max-queue)")
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._workers = [threading.Thread(target=self._work, name=f"async-invocation-{n}", daemon=True)
                         for n in range(settings.max_concurrent)]
        for worker in self._workers:
            worker.start()

    def routes(self) -> list[Route]:
        return [Route("/endpoints/{name}/async-invocations", self.submit, methods=["POST"])]

    def close(self) -> None:
        """Stop the workers once the queued jobs are done."""
        for _ in self._workers:
            self._jobs.put(None)
        for worker in self._workers:
            worker.join(30)

    @property
    def platform(self) -> Platform:
        with self._platform_lock:  # boto3's default session is not thread-safe: build the clients once
            if self._platform is None:
                self._platform = Platform(self.settings.success_topic, self.settings.error_topic,
                                          self.settings.max_input_bytes)
            return self._platform

    async def submit(self, request: Request) -> Response:
        """Validate, admit, answer 202 with the locations; the work happens on a worker."""
        try:
            job = await self._job(request)
            self.platform  # noqa: B018 - built here so a broken AWS setup is a 500 now, not a lost job
            self.admission.enter()
        except Overloaded as exc:
            return _aws_error(503, "ServiceUnavailable", exc.message)
        except ClientError as exc:
            return _aws_error(exc.status, "ValidationError", exc.message)
        except Exception as exc:
            logger.exception("asynchronous invocation not admitted")
            return _aws_error(500, "InternalFailure", f"{type(exc).__name__}: {exc}")
        self._jobs.put(job)
        headers = {"X-Amzn-SageMaker-OutputLocation": job.output_uri}
        if job.failure_uri:
            headers["X-Amzn-SageMaker-FailureLocation"] = job.failure_uri
        return JSONResponse({"InferenceId": job.inference_id}, status_code=202, headers=headers)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                self.platform.run(job)
            except Exception:  # run() reports its own failures; this is a last guard for the thread
                logger.exception("asynchronous worker error on %s", job.inference_id)
            finally:
                self.admission.leave()

    async def _job(self, request: Request) -> Job:
        """The request as a :class:`Job`, or ValidationError naming what is wrong."""
        header = {name[len(_HEADER):]: value for name, value in request.headers.items() if name.startswith(_HEADER)}
        location = header.get("inputlocation")
        body = await _inline_body(request)
        if (location is None) == (body is None):
            raise ValidationError("provide exactly one of InputLocation (X-Amzn-SageMaker-InputLocation) and Body")
        if location is not None and not _S3_OBJECT.fullmatch(location):
            raise ValidationError(f"InputLocation must be an S3 URI s3://bucket/key, not {location!r}")
        for name in ("content-type", "accept", "custom-attributes"):
            value = header.get(name)
            if value is not None and (len(value) > 1024 or not value.isascii()):
                raise ValidationError(f"X-Amzn-SageMaker-{name} must be at most 1024 ASCII characters")
        inference_id = header.get("inference-id") or str(uuid.uuid4())
        if len(inference_id) > 64 or not inference_id.isprintable() or inference_id[0].isspace():
            raise ValidationError("InferenceId must be 1-64 printable characters, not starting with a space")
        output = _join(self.settings.output_path, header.get("s3outputpathextension"),
                       header.get("filename") or f"{inference_id}.out")
        failure = self.settings.failure_path and _join(self.settings.failure_path, None, f"{inference_id}-error.out")
        return Job(inference_id=inference_id, endpoint=request.path_params["name"],
                   container_url=self.settings.container_url or _own_invocations(request),
                   output_uri=output, failure_uri=failure or None, input_location=location, body=body,
                   content_type=header.get("content-type"), accept=header.get("accept"),
                   custom_attributes=header.get("custom-attributes"),
                   ttl_s=_seconds(header, "requestttlseconds", "RequestTTLSeconds", 60, 21600, 21600),
                   timeout_s=_seconds(header, "invocationtimeoutseconds", "InvocationTimeoutSeconds", 1, 3600, 900))


async def _inline_body(request: Request) -> bytes | None:
    """The inline Body (None when empty), refused past InvokeEndpointAsync's 128,000 bytes."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_INLINE_BODY:
            raise ValidationError(f"the inline Body may hold at most {MAX_INLINE_BODY} bytes; "
                                  "upload larger inputs to S3 and pass InputLocation")
        chunks.append(chunk)
    return b"".join(chunks) or None


def _seconds(header: dict[str, str], key: str, name: str, low: int, high: int, default: int) -> int:
    raw = header.get(key)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationError(f"{name} must be an integer between {low} and {high}, not {raw!r}")
    return int(raw)


def _join(path: str, extension: str | None, name: str) -> str:
    parts = [path.rstrip("/"), *(p.strip("/") for p in (extension,) if p and p.strip("/")), name]
    return "/".join(parts)


def _own_invocations(request: Request) -> str:
    """This server's ``/invocations`` over loopback, from the socket the request arrived on."""
    host, port = request.scope.get("server") or ("127.0.0.1", 8080)
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/invocations"


def _aws_error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"message": message}, status_code=status, headers={"x-amzn-ErrorType": code})
