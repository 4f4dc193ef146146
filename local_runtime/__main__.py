"""``python -m local_runtime``: SageMaker's bidirectional-streaming runtime on this machine.

    python -m local_runtime --endpoint whisper-endpoint=http://127.0.0.1:8080 --cert-dir DIR

Serves ``InvokeEndpointWithBidirectionalStream`` on ``https://localhost:PORT`` (HTTP/2, TLS
with a self-signed certificate in ``--cert-dir``) and forwards each stream to the named
endpoint's container. Prints ``ready https://localhost:PORT CERT`` once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path


def _endpoint(text: str) -> tuple[str, str]:
    name, _, url = text.partition("=")
    if not name or not url.startswith(("http://", "https://", "ws://", "wss://")):
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=http://HOST:PORT")
    return name, url


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_runtime", description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", type=_endpoint, action="append", required=True,
                        help="NAME=URL of the container that serves endpoint NAME (repeatable)")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--cert-dir", type=Path, required=True, help="where the self-signed certificate lives")
    parser.add_argument("--drain-s", type=float, default=300.0,
                        help="seconds the container's messages still reach a caller that ended its input")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    from local_runtime.app import RuntimeApp, RuntimeOptions
    from local_runtime.tls import certificate

    cert, key = certificate(args.cert_dir)
    app = RuntimeApp(RuntimeOptions(dict(args.endpoint), drain_s=args.drain_s))
    port = args.port or _free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.certfile, config.keyfile = str(cert), str(key)
    config.alpn_protocols = ["h2", "http/1.1"]
    config.accesslog = None

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        server = asyncio.ensure_future(serve(app, config, shutdown_trigger=stop.wait))
        await _listening(port)
        print(f"ready https://localhost:{port} {cert}", flush=True)
        await server

    asyncio.run(run())
    return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _listening(port: int) -> None:
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return


if __name__ == "__main__":
    sys.exit(main())
