"""Put the artifact on S3 at its content-addressed key, once.

Uses boto3's managed transfer (multipart, parallel parts). A multipart upload
only creates the object when it completes, and s3transfer aborts it on
failure, so an interrupted upload never leaves a partial object at the final
key; running the build again uploads it. Each object carries its SHA-256 and
the content key in its metadata: an object already there with the same values
is not uploaded again. ``manifest.json`` is written beside the artifact last,
so for the uncompressed layout (many objects) its presence marks completion.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import BuilderError

logger = logging.getLogger(__name__)

# 16 MiB parts keep the part count far below S3's 10,000 limit for a 3 GB model
# and give the 10 threads enough parts to overlap.
PART_SIZE = 16 << 20
CONCURRENCY = 10


@dataclass(frozen=True)
class Destination:
    """Where and how to store: bucket, key prefix, encryption and endpoint."""

    bucket: str
    prefix: str = "whisper"
    kms_key_id: str | None = None
    endpoint_url: str | None = None
    region: str | None = None

    def extra_args(self, sha256: str, content_key: str, content_type: str) -> dict:
        args = {"ContentType": content_type, "Metadata": {"sha256": sha256, "content-key": content_key}}
        if self.kms_key_id:
            args.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=self.kms_key_id)
        else:
            args["ServerSideEncryption"] = "AES256"
        return args


@dataclass(frozen=True)
class StoredObject:
    """An object already at the key: its recorded SHA-256 and size."""

    sha256: str
    bytes: int


def client(destination: Destination):
    """An S3 client for ``destination`` (honours the usual AWS environment variables)."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    try:
        return boto3.client("s3", endpoint_url=destination.endpoint_url, region_name=destination.region,
                            config=Config(retries={"max_attempts": 5, "mode": "standard"},
                                          max_pool_connections=CONCURRENCY + 2))
    except BotoCoreError as error:
        raise explain(error, destination) from None


def explain(error: Exception, destination: Destination) -> BuilderError:
    """Turn a botocore/boto3 failure into a one-line BuilderError."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        ParamValidationError,
        ProfileNotFound,
    )

    bucket = destination.bucket
    if isinstance(error, ParamValidationError):  # botocore puts the reason on the following lines
        return BuilderError(f"invalid S3 parameter: {' '.join(str(error).split())}")
    if isinstance(error, ProfileNotFound):
        return BuilderError(f"AWS profile not found: {error}")
    if isinstance(error, NoCredentialsError):
        return BuilderError("no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
                            "AWS_SECRET_ACCESS_KEY")
    if isinstance(error, EndpointConnectionError):
        return BuilderError(f"cannot reach the S3 endpoint: {error}")
    text = str(error)
    code = error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""
    if code in ("NoSuchBucket", "404", "NotFound") or "NoSuchBucket" in text:
        return BuilderError(f"bucket {bucket!r} does not exist (create it, or check --bucket and the region)")
    if code in ("AccessDenied", "403", "Forbidden") or "AccessDenied" in text or "Forbidden" in text:
        return BuilderError(f"access to bucket {bucket!r} is forbidden for these credentials")
    if code.startswith("KMS") or "KMS" in text:
        return BuilderError(f"KMS key {destination.kms_key_id!r} cannot be used: {text.splitlines()[0]}")
    return BuilderError(f"S3 request failed: {' '.join(text.split()) if text else type(error).__name__}")


def check_bucket(s3, destination: Destination) -> None:
    """Fail early (before building) when the bucket is missing, forbidden or unreachable."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        s3.head_bucket(Bucket=destination.bucket)
    except (ClientError, BotoCoreError) as error:
        raise explain(error, destination) from None


def stored(s3, destination: Destination, key: str, content_key: str) -> StoredObject | None:
    """The object at ``key`` if it was uploaded by a build with ``content_key``."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        head = s3.head_object(Bucket=destination.bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise explain(error, destination) from None
    except BotoCoreError as error:
        raise explain(error, destination) from None
    metadata = head.get("Metadata", {})
    if metadata.get("content-key") != content_key or "sha256" not in metadata:
        return None
    return StoredObject(metadata["sha256"], head["ContentLength"])


def upload_file(s3, destination: Destination, path: Path, key: str, *, sha256: str, content_key: str,
                content_type: str = "application/gzip",
                callback: Callable[[int], None] | None = None) -> bool:
    """Upload ``path`` to ``key`` unless an object with the same SHA-256 is already there.

    Returns:
        True when uploaded, False when skipped.

    Raises:
        BuilderError: bucket missing or forbidden, bad credentials or KMS key, or
            the transfer failed (nothing is left at ``key`` then).
    """
    from boto3.exceptions import S3UploadFailedError
    from boto3.s3.transfer import TransferConfig
    from botocore.exceptions import BotoCoreError, ClientError

    existing = stored(s3, destination, key, content_key)
    if existing and existing.sha256 == sha256:
        logger.info("s3://%s/%s already holds this artifact; not uploading", destination.bucket, key)
        return False
    if existing:
        logger.warning("s3://%s/%s holds different bytes for the same inputs; replacing it",
                       destination.bucket, key)
    config = TransferConfig(multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE,
                            max_concurrency=CONCURRENCY)
    try:
        # upload_fileobj on a handle we own: upload_file opens one reader per part up
        # front and leaks those not yet started when a transfer fails.
        with open(path, "rb") as handle:
            s3.upload_fileobj(handle, destination.bucket, key, Config=config, Callback=callback,
                              ExtraArgs=destination.extra_args(sha256, content_key, content_type))
    except (S3UploadFailedError, ClientError, BotoCoreError) as error:
        raise explain(error, destination) from None
    return True


def put_json(s3, destination: Destination, key: str, document: dict, content_key: str) -> None:
    """Write a small JSON document (the manifest) with the same encryption settings."""
    import hashlib

    from botocore.exceptions import BotoCoreError, ClientError

    body = (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()
    args = destination.extra_args(hashlib.sha256(body).hexdigest(), content_key, "application/json")
    try:
        s3.put_object(Bucket=destination.bucket, Key=key, Body=body, **args)
    except (ClientError, BotoCoreError) as error:
        raise explain(error, destination) from None


def get_json(s3, destination: Destination, key: str, content_key: str) -> dict | None:
    """The JSON document at ``key`` if a build with ``content_key`` completed it, else None."""
    from botocore.exceptions import BotoCoreError, ClientError

    if stored(s3, destination, key, content_key) is None:
        return None
    try:
        body = s3.get_object(Bucket=destination.bucket, Key=key)["Body"].read()
        document = json.loads(body)
    except (ClientError, BotoCoreError) as error:
        raise explain(error, destination) from None
    except ValueError:
        return None
    return document if document.get("content_key") == content_key else None
