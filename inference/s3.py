"""``s3_uri`` input: read an audio object from an allow-listed bucket, with bounded time and size.

The client is built once per configuration with short connect/read timeouts and a
small retry budget, so a silent or unreachable endpoint costs seconds, not minutes.
Upstream failures answer 502/504 with messages that name the object and the limit,
never the endpoint URL the container talks to.
"""

from __future__ import annotations

import functools
import logging

from .config import ServingConfig
from .errors import ClientError, PayloadTooLarge

logger = logging.getLogger(__name__)


class UpstreamError(ClientError):
    """S3 failed or did not answer: not the client's fault, but not ours either (502)."""

    status = 502


class UpstreamTimeout(UpstreamError):
    """S3 did not answer within the configured timeouts (504)."""

    status = 504


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> (bucket, key); the key may be empty (a path's prefix)."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def split_uri(uri: object, config: ServingConfig) -> tuple[str, str]:
    """``s3://bucket/key`` -> (bucket, key) for an allowed bucket.

    Raises:
        ClientError: not such a string (400), or the bucket is not allowed (403).
    """
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        raise ClientError("'s3_uri' must be a string 's3://bucket/key'")
    bucket, key = split_s3_uri(uri)
    if not bucket or not key:
        raise ClientError(f"'s3_uri' {uri!r} must name a bucket and a key")
    if bucket not in config.s3_allowed_buckets:
        raise ClientError(f"bucket {bucket!r} is not allowed for s3_uri (WHISPER_S3_ALLOWED_BUCKETS)", 403)
    return bucket, key


def fetch(uri: object, config: ServingConfig) -> bytes:
    """The object's bytes, at most ``config.s3_max_bytes``.

    Raises:
        ClientError: bad or disallowed URI, missing (404) or forbidden (403) object,
            too large (413); UpstreamError (502) / UpstreamTimeout (504): S3 failed.
    """
    bucket, key = split_uri(uri, config)
    from botocore.exceptions import BotoCoreError, ConnectTimeoutError, ReadTimeoutError
    from botocore.exceptions import ClientError as BotoClientError

    where = f"s3://{bucket}/{key}"
    try:
        obj = _client(config.s3_connect_timeout_s, config.s3_read_timeout_s,
                      config.s3_max_attempts).get_object(Bucket=bucket, Key=key)
        if obj.get("ContentLength", 0) > config.s3_max_bytes:
            obj["Body"].close()
            raise _too_big(where, config)
        data = obj["Body"].read(config.s3_max_bytes + 1)
        obj["Body"].close()
    except BotoClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "404", "NotFound"):
            raise ClientError(f"{where} does not exist", 404) from None
        if code in ("AccessDenied", "403", "Forbidden"):
            raise ClientError(f"reading {where} is forbidden for the endpoint's role", 403) from None
        logger.warning("S3 read of %s failed: %s", where, exc)
        raise UpstreamError(f"S3 refused to read {where} ({code or 'error'})") from None
    except (ConnectTimeoutError, ReadTimeoutError):
        logger.warning("S3 read of %s timed out", where)
        raise UpstreamTimeout(f"S3 did not answer for {where} within {config.s3_connect_timeout_s:g} s to "
                              f"connect / {config.s3_read_timeout_s:g} s to read, {config.s3_max_attempts} "
                              "attempts (WHISPER_S3_CONNECT_TIMEOUT_S, WHISPER_S3_READ_TIMEOUT_S, "
                              "WHISPER_S3_MAX_ATTEMPTS)") from None
    except BotoCoreError as exc:
        logger.warning("S3 read of %s failed: %s", where, exc)  # the log may name the endpoint; the client may not
        raise UpstreamError(f"cannot read {where}: S3 is unreachable or failed ({type(exc).__name__})") from None
    if len(data) > config.s3_max_bytes:
        raise _too_big(where, config)
    return data


def _too_big(where: str, config: ServingConfig) -> PayloadTooLarge:
    return PayloadTooLarge(f"{where} is larger than {config.s3_max_bytes} bytes (WHISPER_S3_MAX_BYTES)")


@functools.lru_cache(maxsize=4)
def _client(connect_timeout: float, read_timeout: float, attempts: int):
    """One thread-safe client per setting: building one costs ~50 ms, too much per request."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                                            retries={"total_max_attempts": attempts, "mode": "standard"}))
