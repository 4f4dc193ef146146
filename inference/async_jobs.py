"""One asynchronous invocation, run as the SageMaker platform runs it.

Read the input (S3 object or inline body), POST it to the container's own
``/invocations`` over loopback HTTP, write the answer to ``<output path>/<id>.out`` or the
failure to ``<failure path>/<id>-error.out``, and publish SageMaker's notification (the
``InferenceResult`` event) to the success or error SNS topic. Every outcome is a result,
never an exception: a job that cannot finish becomes a failure object and an error message.

boto3 is imported lazily: the container never loads this module unless the local server
was started with an output path.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .codecs import MAX_PAYLOAD_BYTES
from .s3 import split_s3_uri

logger = logging.getLogger(__name__)

_BUSY_RETRY_S = (0.2, 0.5, 1.0, 2.0)  # the container answered 503 (busy): wait and send again


@dataclass
class Job:
    """An admitted request: where its input is, how to call the container, where results go."""

    inference_id: str
    endpoint: str
    container_url: str
    output_uri: str
    failure_uri: str | None
    input_location: str | None = None
    body: bytes | None = None  # inline input (InvokeEndpointAsync's Body)
    content_type: str | None = None
    accept: str | None = None
    custom_attributes: str | None = None
    ttl_s: float = 21600.0
    timeout_s: float = 900.0
    received: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    admitted: float = field(default_factory=time.monotonic)


class JobFailed(Exception):
    """The job ends as a failure; ``reason`` is the notification's ``failureReason``."""

    def __init__(self, reason: str, body: bytes | None = None, content_type: str = "application/json") -> None:
        super().__init__(reason)
        self.reason = reason
        self.body = body if body is not None else json.dumps({"error": reason}).encode()
        self.content_type = content_type


class Platform:
    """The S3 and SNS clients (built once, lazily) and the topics to notify."""

    def __init__(self, success_topic: str | None, error_topic: str | None,
                 max_input_bytes: int = MAX_PAYLOAD_BYTES) -> None:
        self.success_topic = success_topic
        self.max_input_bytes = max_input_bytes
        self.error_topic = error_topic
        self.region = next((arn.split(":")[3] for arn in (success_topic, error_topic) if arn), None)
        import boto3  # only here: the container without asynchronous routes never needs it

        session = boto3.session.Session()
        self.region = self.region or session.region_name or "us-east-1"
        self.s3 = session.client("s3", region_name=self.region)  # AWS_ENDPOINT_URL etc. apply
        self.sns = session.client("sns", region_name=self.region) if success_topic or error_topic else None

    def run(self, job: Job) -> bool:
        """Run ``job`` to its end; True when it succeeded."""
        try:
            content_type, body = self._answer(job)
            bucket, key = split_s3_uri(job.output_uri)
            self.s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
        except JobFailed as failed:
            self._fail(job, failed)
            return False
        except Exception as exc:  # S3 or SNS broke, or a bug: still a failure object, with the traceback logged
            logger.exception("asynchronous invocation %s failed", job.inference_id)
            self._fail(job, JobFailed(f"InternalFailure: {type(exc).__name__}: {exc}"))
            return False
        logger.info("asynchronous invocation %s -> %s", job.inference_id, job.output_uri)
        self._notify(self.success_topic, job, "Completed", {"contentType": content_type,
                                                            "outputLocation": job.output_uri})
        return True

    def _answer(self, job: Job) -> tuple[str, bytes]:
        waited = time.monotonic() - job.admitted
        if waited > job.ttl_s:
            raise JobFailed(f"ClientError: Request expired: it waited {waited:.0f} s in the queue, longer than "
                            f"RequestTTLSeconds ({job.ttl_s:g} s)")
        payload = job.body if job.body is not None else self._read_input(job.input_location or "")
        status, content_type, body = call_container(job, payload)
        if status == 200:
            return content_type, body
        kind = "client" if status < 500 else "server"
        raise JobFailed(f"ClientError: Received {kind} error ({status}) from model with message "
                        f"\"{body.decode(errors='replace')}\"", body, content_type)

    def _read_input(self, uri: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, key = split_s3_uri(uri)
        try:
            obj = self.s3.get_object(Bucket=bucket, Key=key)
            data = obj["Body"].read(self.max_input_bytes + 1)
            obj["Body"].close()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            raise JobFailed(f"ClientError: Failed to download input data from {uri}: {code}") from None
        except BotoCoreError as exc:
            raise JobFailed(f"ClientError: Failed to download input data from {uri}: {exc}") from None
        if len(data) > self.max_input_bytes:  # the container would refuse it: keep it out of memory
            raise JobFailed(f"ClientError: input {uri} is larger than the container accepts "
                            f"({self.max_input_bytes} bytes)")
        return data

    def _fail(self, job: Job, failed: JobFailed) -> None:
        logger.warning("asynchronous invocation %s failed: %s", job.inference_id, failed.reason)
        response = {}
        if job.failure_uri:
            try:
                bucket, key = split_s3_uri(job.failure_uri)
                self.s3.put_object(Bucket=bucket, Key=key, Body=failed.body, ContentType=failed.content_type)
                response = {"contentType": failed.content_type, "failureLocation": job.failure_uri}
            except Exception:  # the notification still tells the client
                logger.exception("writing the failure of %s to %s failed", job.inference_id, job.failure_uri)
        self._notify(self.error_topic, job, "Failed", response, failed.reason)

    def _notify(self, topic: str | None, job: Job, status: str, response: dict, reason: str | None = None) -> None:
        """Publish SageMaker's ``InferenceResult`` event (the shape its documentation shows)."""
        if not topic or self.sns is None:
            return
        request = {"endpointName": job.endpoint}
        for name, value in (("contentType", job.content_type), ("accept", job.accept),
                            ("inputLocation", job.input_location)):
            if value:
                request[name] = value
        message = {"awsRegion": self.region, "eventTime": _iso(datetime.now(timezone.utc)),
                   "receivedTime": _iso(job.received), "invocationStatus": status}
        if reason is not None:
            message["failureReason"] = reason
        message |= {"requestParameters": request}
        if response:
            message["responseParameters"] = response
        message |= {"inferenceId": job.inference_id, "eventVersion": "1.0", "eventSource": "aws:sagemaker",
                    "eventName": "InferenceResult"}
        try:
            self.sns.publish(TopicArn=topic, Message=json.dumps(message))
        except Exception:  # a lost notification must not lose the result already in S3
            logger.exception("publishing the result of %s to %s failed", job.inference_id, topic)


def call_container(job: Job, payload: bytes) -> tuple[int, str, bytes]:
    """POST ``payload`` to the container as the platform does -> (status, content type, body).

    A busy container (503) is asked again a few times within the invocation timeout.

    Raises:
        JobFailed: no answer within ``InvocationTimeoutSeconds`` or the connection failed.
    """
    headers = {"Content-Type": job.content_type or "application/octet-stream"}
    if job.accept:
        headers["Accept"] = job.accept
    if job.custom_attributes:
        headers["X-Amzn-SageMaker-Custom-Attributes"] = job.custom_attributes
    deadline = time.monotonic() + job.timeout_s
    for pause in (*_BUSY_RETRY_S, None):
        request = urllib.request.Request(job.container_url, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=max(0.1, deadline - time.monotonic())) as answer:
                return answer.status, answer.headers.get("Content-Type", ""), answer.read()
        except urllib.error.HTTPError as answer:
            body = answer.read()
            if answer.code != 503 or pause is None or time.monotonic() + pause >= deadline:
                return answer.code, answer.headers.get("Content-Type", ""), body
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            if isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError):
                raise JobFailed(f"ModelError: the model did not answer within InvocationTimeoutSeconds "
                                f"({job.timeout_s:g} s)") from None
            raise JobFailed(f"InternalFailure: cannot reach the model container: {exc}") from None
        time.sleep(pause)
    raise AssertionError("unreachable: the last attempt returns")


def _iso(moment: datetime) -> str:
    """``2022-01-25T22:46:00.608Z``: the timestamp form of SageMaker's notifications."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
