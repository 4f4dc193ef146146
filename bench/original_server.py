"""The baseline behind the same HTTP contract as ours: LCA's original handler on a tiny server.

``python -m bench.original_server --model-dir DIR --port N`` serves ``GET /ping`` (503 until
the model is loaded) and ``POST /invocations`` with ``bench.original_handler``'s hooks, one
thread per request (the model serialises them itself, like one SageMaker model-server
worker). Like the original, failures are ``{"error": ...}`` with HTTP 200 and a missing
Accept header means JSON. For benchmarks only.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench import original_handler

logger = logging.getLogger(__name__)


def make_server(model_dir: Path, port: int) -> ThreadingHTTPServer:
    """A server whose model loads in the background."""
    state: dict = {"model": None}

    def load() -> None:
        state["model"] = original_handler.model_fn(model_dir)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path != "/ping":
                self._send(404, b'{"error": "not found"}')
            elif state["model"] is None:
                self._send(503, b'{"error": "model loading"}')
            else:
                self._send(200, b'{"status": "ok"}')

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/invocations" or state["model"] is None:
                self._send(404 if self.path != "/invocations" else 503, b'{"error": "unavailable"}')
                return
            accept = self.headers.get("Accept") or "application/json"
            data = original_handler.input_fn(body, self.headers.get("Content-Type"))
            prediction = original_handler.predict_fn(data, state["model"])
            answer, _ = original_handler.output_fn(prediction, accept)
            self._send(200, answer.encode())

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=load, name="model-loader", daemon=True).start()
    return server


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.original_server", description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        server = make_server(args.model_dir, args.port)
    except OSError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
