"""One recording through an asynchronous endpoint: upload, invoke, wait, download.

boto3 is the only dependency. The S3 client follows the standard AWS environment
(``AWS_PROFILE``, ``AWS_REGION``, ``AWS_ENDPOINT_URL``...); the SageMaker Runtime client
takes an explicit ``endpoint_url`` too (the local server).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from inference.s3 import split_s3_uri

CONTENT_TYPES = {".wav": "audio/wav", ".flac": "audio/flac", ".ogg": "audio/ogg", ".mp3": "audio/mpeg"}


class TranscriptionFailed(Exception):
    """The endpoint wrote a failure object, or no result came within the timeout."""


@dataclass(frozen=True)
class Job:
    """What to transcribe and where.

    Args:
        recording: a WAV, FLAC, OGG or MP3 file.
        endpoint: the SageMaker endpoint's name.
        bucket, prefix: where the recording is uploaded (``<prefix>/inputs/<sha256><suffix>``).
        response_format: one of ``inference.formats.FORMATS``; None: the endpoint's JSON.
        channels: ``mix`` (average the channels) or ``separate`` (transcribe each channel on its
            own, segments labelled with ``channel_names``, else ``ch_0``, ``ch_1``, ...).
        timeout_s: how long to wait for the result.
        endpoint_url: the SageMaker Runtime URL (e.g. a local server), None for AWS's.
    """

    recording: Path
    endpoint: str
    bucket: str
    prefix: str = "whisper-transcribe"
    response_format: str | None = None
    channels: str = "mix"
    channel_names: tuple[str, ...] | None = None
    timeout_s: float = 900.0
    endpoint_url: str | None = None
    poll_s: float = 1.0

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.recording.suffix.lower()]

    @property
    def custom_attributes(self) -> str | None:
        """The container's parameters, as ``X-Amzn-SageMaker-Custom-Attributes`` carries them."""
        parts = []
        if self.response_format:
            parts.append(f"response_format={self.response_format}")
        if self.channels != "mix":
            parts.append(f"channels={self.channels}")
        if self.channel_names:
            parts.append(f"channel_names={','.join(self.channel_names)}")
        return ";".join(parts) or None


def transcribe(job: Job, progress: Callable[[str], None]) -> bytes:
    """Upload, invoke, wait, download: the transcript's bytes.

    Raises:
        TranscriptionFailed: the endpoint reported a failure, or the timeout passed.
        botocore.exceptions.BotoCoreError / ClientError: AWS refused or was unreachable.
    """
    import boto3

    s3 = boto3.client("s3")
    runtime = boto3.client("sagemaker-runtime", endpoint_url=job.endpoint_url)
    source = upload(s3, job)
    progress(f"uploaded {job.recording} to {source}")
    arguments = {"EndpointName": job.endpoint, "InputLocation": source, "ContentType": job.content_type}
    if job.custom_attributes:
        arguments["CustomAttributes"] = job.custom_attributes
    answer = runtime.invoke_endpoint_async(**arguments)
    progress(f"inference {answer['InferenceId']} queued; result at {answer['OutputLocation']}")
    return wait(s3, answer["OutputLocation"], answer.get("FailureLocation"), job, progress)


def upload(s3, job: Job) -> str:
    """Store the recording under a key made from its content (the same file is uploaded once)."""
    digest = hashlib.sha256()
    with job.recording.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    key = f"{job.prefix.strip('/')}/inputs/{digest.hexdigest()}{job.recording.suffix.lower()}".lstrip("/")
    if not _exists(s3, job.bucket, key):
        s3.upload_file(str(job.recording), job.bucket, key, ExtraArgs={"ContentType": job.content_type})
    return f"s3://{job.bucket}/{key}"


def wait(s3, output: str, failure: str | None, job: Job, progress: Callable[[str], None]) -> bytes:
    """Poll the output and failure locations until one exists; the output's bytes.

    Raises:
        TranscriptionFailed: the failure object appeared (its message), or the timeout passed.
    """
    began = time.monotonic()
    reported = 0
    while True:
        body = _read(s3, output)
        if body is not None:
            progress(f"done in {time.monotonic() - began:.1f} s")
            return body
        error = _read(s3, failure) if failure else None
        if error is not None:
            raise TranscriptionFailed(f"the endpoint failed to transcribe {job.recording}: {_message(error)}")
        waited = time.monotonic() - began
        if waited > job.timeout_s:
            raise TranscriptionFailed(f"no result within {job.timeout_s:g} s (--timeout); it will be at "
                                      f"{output} if the endpoint finishes")
        if waited - reported >= 10:
            reported = waited
            progress(f"waiting for the result ({waited:.0f} s)")
        time.sleep(job.poll_s)


def _read(s3, uri: str) -> bytes | None:
    """The object's bytes, or None while it does not exist."""
    from botocore.exceptions import ClientError

    bucket, key = split_s3_uri(uri)
    try:
        obj = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in ("NoSuchKey", "404"):
            return None
        if code in ("AccessDenied", "403"):  # S3 answers 403 for a missing key to those who cannot list
            raise TranscriptionFailed(f"reading {uri} is forbidden: waiting for a result needs s3:GetObject "
                                      "on it and s3:ListBucket on the bucket") from None
        raise
    return obj["Body"].read()


def _exists(s3, bucket: str, key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def _message(error: bytes) -> str:
    """The container's ``{"error": ...}``, else the failure object's text."""
    try:
        return str(json.loads(error)["error"])
    except (ValueError, KeyError, TypeError):
        return error.decode(errors="replace").strip()[:2000]
