"""Helpers for the replay tests: the repository root and a protocol stand-in server."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class StandIn:
    """Records what the client sends and answers like the endpoint; tracks requests in flight."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.requests: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                with standin.lock:
                    standin.in_flight += 1
                    standin.max_in_flight = max(standin.max_in_flight, standin.in_flight)
                try:
                    body = self.rfile.read(int(self.headers["Content-Length"]))
                    standin.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    time.sleep(standin.delay_s)
                    audio = bytes(json.loads(body)["audio_input"])
                    seconds = (len(audio) - 44) / 32000
                    answer = json.dumps({"text": f" heard {seconds:.2f} seconds ", "language": "en",
                                         "segments": []}).encode()
                finally:
                    with standin.lock:
                        standin.in_flight -= 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
