"""How a replayed call reaches the endpoint: one interface, two implementations.

* ``HttpTransport``: POST to a local server's ``/invocations`` (the container contract),
  one keep-alive connection per call.
* ``SageMakerTransport``: boto3 ``sagemaker-runtime`` ``invoke_endpoint``, as LCA's SDK
  call does; with ``endpoint_url`` it can target the local server's
  ``/endpoints/NAME/invocations`` route (or any SageMaker-compatible endpoint).

Both send what LCA sends (``ContentType: application/json``, no Accept header) and
return the parsed JSON body; anything that is not a 2xx JSON object raises
``TransportError``, which LCA's client turns into an empty transcript.
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.parse
from typing import Protocol

logger = logging.getLogger(__name__)

# SageMaker's own limit on one real-time invocation.
INVOCATION_TIMEOUT_S = 60.0


class TransportError(Exception):
    """An invocation failed (network, HTTP status, SageMaker error, unreadable body)."""


class Transport(Protocol):
    """Sends one request body and returns the endpoint's JSON answer."""

    def invoke(self, body: bytes) -> dict:
        """POST ``body`` (``application/json``) and return the decoded JSON object.

        Raises:
            TransportError: the request did not produce a 2xx JSON object.
        """
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def _decode(raw: bytes, where: str) -> dict:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise TransportError(f"{where}: response is not JSON: {raw[:200]!r}") from exc
    if not isinstance(data, dict):
        raise TransportError(f"{where}: response is not a JSON object: {raw[:200]!r}")
    return data


class HttpTransport:
    """POST ``{url}/invocations`` over one keep-alive HTTP/1.1 connection.

    Args:
        url: the server's base URL, e.g. ``http://127.0.0.1:8080``.
        timeout: seconds before a request counts as failed.
    """

    def __init__(self, url: str, timeout: float = INVOCATION_TIMEOUT_S) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"--url must look like http://HOST:PORT, not {url!r}")
        self._parts = parts
        self._path = parts.path.rstrip("/") + "/invocations"
        self._timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self.where = f"{parts.scheme}://{parts.netloc}{self._path}"

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
            self._conn = cls(self._parts.hostname, self._parts.port, timeout=self._timeout)
        return self._conn

    def invoke(self, body: bytes) -> dict:
        try:
            conn = self._connection()
            conn.request("POST", self._path, body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()  # a broken keep-alive connection is not reused
            raise TransportError(f"{self.where}: {type(exc).__name__}: {exc}") from exc
        if not 200 <= response.status < 300:
            raise TransportError(f"{self.where}: HTTP {response.status}: {raw[:200]!r}")
        return _decode(raw, self.where)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class SageMakerTransport:
    """boto3 ``sagemaker-runtime`` ``invoke_endpoint`` on a named endpoint.

    Args:
        endpoint_name: the SageMaker endpoint.
        endpoint_url: another SageMaker Runtime URL (e.g. the local server); None for AWS.
        region: AWS region; None uses the standard boto3 configuration.
        client: a ready ``sagemaker-runtime`` client (shared across calls; boto3
            clients are thread-safe).
    """

    def __init__(self, endpoint_name: str, endpoint_url: str | None = None, region: str | None = None,
                 client=None) -> None:
        if not endpoint_name:
            raise ValueError("--endpoint-name must not be empty")
        if client is None:
            client = make_runtime_client(endpoint_url, region)
        self._client = client
        self.endpoint_name = endpoint_name
        self.where = f"endpoint {endpoint_name}" + (f" at {endpoint_url}" if endpoint_url else "")

    def invoke(self, body: bytes) -> dict:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._client.invoke_endpoint(EndpointName=self.endpoint_name,
                                                    ContentType="application/json", Body=body)
            raw = response["Body"].read()
        except (BotoCoreError, ClientError) as exc:
            raise TransportError(f"{self.where}: {exc}") from exc
        return _decode(raw, self.where)

    def close(self) -> None:
        """Nothing per call: the shared client keeps its connection pool."""


def make_runtime_client(endpoint_url: str | None = None, region: str | None = None, pool: int = 10,
                        session=None):
    """A ``sagemaker-runtime`` client: 60 s read timeout (SageMaker's limit) and no retries, so a
    failed request shows up as lost text instead of being hidden by a retry.

    Args:
        pool: HTTP connections kept, at least the number of simultaneous calls.
        session: a ``boto3.Session`` (e.g. with explicit credentials); the default one when None.
    """
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=INVOCATION_TIMEOUT_S,
                    connect_timeout=10, max_pool_connections=max(pool, 1))
    return (session or boto3).client("sagemaker-runtime", endpoint_url=endpoint_url, region_name=region, config=config)
