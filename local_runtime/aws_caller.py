"""Stream a call to an endpoint with AWS's own client (``aws-sdk-sagemaker-runtime-http2``).

Runs in the callers' environment (``scripts/setup.sh``: ``<cache>/clients-venv``, from
``requirements/clients.lock``), which holds AWS's SDK and nothing of this project::

    clients-venv/bin/python -m local_runtime.aws_caller --endpoint-uri https://localhost:PORT \
        --ca-file cert.pem --endpoint-name NAME --audio call.wav --path v1/listen --query 'encoding=...'

The WAV file's PCM goes out in binary PayloadParts of ``--frame-ms`` at the call's pace,
then each ``--text`` as a UTF8 part (``--fragment`` splits each into a PARTIAL and a
COMPLETE part), then ``{"type": "CloseStream"}`` (unless ``--no-close-stream``). Every
event the endpoint sends is one JSON line on stdout, as it arrives:
``{"arrived_s", "part": "UTF8"|"BINARY", "text"|"bytes"}`` or
``{"arrived_s", "error": "ModelStreamError", "code", "message"}``. A request the
runtime refuses prints one ``ERROR:`` line (its error type and message) and exits 1.

The SDK negotiates HTTP/2 only over TLS (ALPN), and trusts only the system's certificate
authorities; a local runtime's self-signed certificate is trusted through ``--ca-file``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import wave
from collections.abc import Sequence
from pathlib import Path

CLOSE_STREAM = json.dumps({"type": "CloseStream"})


def _transport(ca_file: Path | None):
    from awscrt import io as crt_io
    from smithy_http.aio.crt import AWSCRTHTTPClient

    client = AWSCRTHTTPClient()
    if ca_file is not None:
        # The SDK's transport has no option for a CA file: its TLS context is replaced by one
        # that trusts the local runtime's certificate (verification stays on).
        options = crt_io.TlsContextOptions()
        options.override_default_trust_store_from_path(None, str(ca_file))
        client._tls_ctx = crt_io.ClientTlsContext(options)
    return client


async def _client(endpoint_uri: str, region: str, ca_file: Path | None):
    from aws_sdk_sagemaker_runtime_http2.client import AsyncSageMakerRuntimeHTTP2Client
    from aws_sdk_sagemaker_runtime_http2.config import AsyncSageMakerRuntimeHTTP2Config
    from smithy_aws_core.identity import EnvironmentCredentialsResolver

    config = await AsyncSageMakerRuntimeHTTP2Config.resolve(
        endpoint_uri=endpoint_uri, region=region, transport=_transport(ca_file),
        aws_credentials_identity_resolver=EnvironmentCredentialsResolver())
    return AsyncSageMakerRuntimeHTTP2Client(config=config)


def _part(data: bytes, data_type: str, partial: bool = False):
    from aws_sdk_sagemaker_runtime_http2.models import RequestPayloadPart, RequestStreamEventPayloadPart

    return RequestStreamEventPayloadPart(value=RequestPayloadPart(
        bytes_=data, data_type=data_type, completion_state="PARTIAL" if partial else "COMPLETE"))


def _frames(audio: Path, frame_ms: int) -> tuple[list[bytes], float]:
    with wave.open(str(audio)) as wav:
        if wav.getsampwidth() != 2:
            raise SystemExit(f"ERROR: {audio} is not 16-bit PCM")
        step = wav.getframerate() * frame_ms // 1000
        frames = []
        while chunk := wav.readframes(step):
            frames.append(chunk)
    return frames, frame_ms / 1000


def _emit(started: float, **fields) -> None:
    print(json.dumps({"arrived_s": round(time.monotonic() - started, 3), **fields}), flush=True)


async def _receive(stream, started: float) -> None:
    from aws_sdk_sagemaker_runtime_http2.models import (
        ModelStreamError,
        ResponseStreamEventModelStreamError,
        ResponseStreamEventPayloadPart,
    )

    _, output = await stream.await_output()
    try:
        async for event in output:
            if isinstance(event, ResponseStreamEventPayloadPart):
                part = event.value
                if part.data_type == "UTF8":
                    _emit(started, part="UTF8", text=(part.bytes_ or b"").decode())
                else:
                    _emit(started, part=part.data_type or "BINARY", bytes=len(part.bytes_ or b""))
            elif isinstance(event, ResponseStreamEventModelStreamError):
                _emit(started, error="ModelStreamError", code=event.value.error_code, message=event.value.message)
                return
            else:
                _emit(started, error=type(event).__name__, message=repr(event))
                return
    except ModelStreamError as exc:  # raised instead of yielded by some SDK versions
        _emit(started, error="ModelStreamError", code=exc.error_code, message=exc.message)


async def stream(args: argparse.Namespace) -> int:
    from aws_sdk_sagemaker_runtime_http2.models import InvokeEndpointWithBidirectionalStreamInput, ServiceError

    frames, frame_s = _frames(args.audio, args.frame_ms) if args.audio else ([], 0.0)
    client = await _client(args.endpoint_uri, args.region, args.ca_file)
    request = InvokeEndpointWithBidirectionalStreamInput(
        endpoint_name=args.endpoint_name, model_invocation_path=args.path, model_query_string=args.query,
        target_variant=args.target_variant)
    try:
        stream = await client.invoke_endpoint_with_bidirectional_stream(request)
        started = time.monotonic()
        receiver = asyncio.ensure_future(_receive(stream, started))
        for index, frame in enumerate(frames):
            if receiver.done():  # the endpoint ended the stream: nothing more is read
                break
            await stream.input_stream.send(_part(frame, "BINARY"))
            delay = started + (index + 1) * frame_s / args.speed - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        texts = [*args.text, *([] if args.no_close_stream else [CLOSE_STREAM])]
        for text in [] if receiver.done() else texts:
            data = text.encode()
            if args.fragment and len(data) > 1:
                await stream.input_stream.send(_part(data[:len(data) // 2], "UTF8", partial=True))
                data = data[len(data) // 2:]
            await stream.input_stream.send(_part(data, "UTF8"))
        # Done sending: end the input (a half-close), and read until the endpoint ends the stream.
        await stream.input_stream.close()
        await receiver
    except ServiceError as exc:
        print(f"ERROR: {type(exc).__name__}: {exc.message}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_runtime.aws_caller", description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-uri", required=True, help="https://localhost:PORT (the runtime)")
    parser.add_argument("--endpoint-name", required=True)
    parser.add_argument("--ca-file", type=Path, help="the runtime's certificate (trusted besides the system's)")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--path", help="ModelInvocationPath (default: the container's default route)")
    parser.add_argument("--query", help="ModelQueryString")
    parser.add_argument("--target-variant")
    parser.add_argument("--audio", type=Path, help="a 16-bit PCM WAV file, streamed as binary parts")
    parser.add_argument("--frame-ms", type=int, default=100)
    parser.add_argument("--speed", type=float, default=1.0, help="times real time")
    parser.add_argument("--text", action="append", default=[], help="a UTF8 part sent after the audio")
    parser.add_argument("--fragment", action="store_true", help="send each text as PARTIAL then COMPLETE")
    parser.add_argument("--no-close-stream", action="store_true", help="do not send CloseStream at the end")
    args = parser.parse_args(argv)
    return asyncio.run(stream(args))


if __name__ == "__main__":
    sys.exit(main())
