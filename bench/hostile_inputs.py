"""Hostile inputs against a real local server: status, time and the server's peak RSS per case.

    python -m bench.hostile_inputs                        # this checkout
    python -m bench.hostile_inputs --code-dir /tmp/before # any tree holding an ``inference`` package

Each case is one row of the probe that found the unbounded work (D1-D8; D9 is the
builder's command line and is covered by tests/builder), run on a fresh server so no
case pays for work an earlier one left running. Every request has a client
timeout of ``--timeout`` seconds (SageMaker's 60 s by default): a row that reaches it
shows ``timeout``. Run it once per tree and compare the tables; the last line is the
peak RSS of the server under nine worst-case bodies at once.
"""

from __future__ import annotations

import argparse
import base64
import functools
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil
import soundfile

from demo.processes import free_port
from replay.clips import default_model_dir, load_clips
from replay.lca_audio import wav_bytes

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Row:
    case: str
    status: str
    seconds: float
    peak_mib: float
    note: str = ""


def post(url: str, body: bytes, content_type: str, timeout: float) -> str:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return str(answer.status)
    except urllib.error.HTTPError as error:
        return str(error.code)
    except TimeoutError:
        return "timeout"
    except OSError as error:
        return f"closed ({type(error).__name__})"


class Server:
    """``python -m inference serve`` from ``code_dir``, with RSS sampled every 10 ms."""

    def __init__(self, code_dir: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "inference", "serve", "--model-dir", str(default_model_dir()),
             "--port", str(self.port), "--workers", "1", "--max-queue", "8"],
            cwd=code_dir, env={**os.environ, "PYTHONPATH": str(code_dir), **env},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.process = psutil.Process(self.proc.pid)
        deadline = time.monotonic() + 120
        while _ping(self.url) != 200:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.2)

    def rss_mib(self) -> float:
        try:
            return self.process.memory_info().rss / 2**20
        except psutil.Error:
            return 0.0

    def measure(self, case: str, action: Callable[[], tuple[str, str]]) -> Row:
        peak, stop = [self.rss_mib()], threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak.append(self.rss_mib())
                time.sleep(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        start = time.monotonic()
        try:
            status, note = action()
        finally:
            stop.set()
            sampler.join()
        return Row(case, status, time.monotonic() - start, max(peak), note)

    def sockets(self) -> set:
        try:
            return {(c.type, c.laddr) for c in self.process.net_connections(kind="inet")}
        except psutil.Error:
            return set()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _ping(url: str) -> int | None:
    try:
        with urllib.request.urlopen(f"{url}/ping", timeout=2) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def silence(seconds: float, fmt: str, rate: int = 16000, channels: int = 1) -> bytes:
    buf, second = io.BytesIO(), np.zeros((rate, channels), dtype=np.int16)
    with soundfile.SoundFile(buf, "w", rate, channels, format=fmt) as sink:
        for start in range(0, int(seconds * rate), rate):
            sink.write(second[: min(rate, int(seconds * rate) - start)])
    return buf.getvalue()


def noise_wav(seconds: float) -> bytes:
    return wav_bytes(np.random.default_rng(1).normal(0, 3000, int(16000 * seconds)).astype(np.int16))


def one_hertz_wav() -> bytes:
    header = bytearray(wav_bytes(np.zeros(0, dtype=np.int16)))
    header[24:28], header[28:32] = (1).to_bytes(4, "little"), (2).to_bytes(4, "little")
    return bytes(header[:40]) + (2000).to_bytes(4, "little") + b"\1\0" * 1000


def lca_json(wav: bytes, **parameters) -> bytes:
    return json.dumps({"audio_input": list(wav), "parameters": parameters}, separators=(",", ":")).encode()


def long_noise_request() -> bytes:
    """100 s of noise, six temperatures, beam 10, no silence filter: the costliest decode parameters allow."""
    return json.dumps({"audio_data": base64.b64encode(noise_wav(100)).decode(),
                       "parameters": {"temperature": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0], "no_speech_threshold": None,
                                      "beam_size": 10}}).encode()


def cases(timeout: float) -> list[tuple[str, Callable[[Server], tuple[str, str]]]]:
    """(name, action on a fresh server) for each case of the probe."""
    jfk = next(c for c in load_clips() if c.name == "jfk").path.read_bytes()
    flac_hour = silence(3600, "FLAC")

    def send(body: bytes, kind: str) -> Callable[[Server], tuple[str, str]]:
        return lambda server: (post(f"{server.url}/invocations", body, kind, timeout), "")

    return [
        (f"D1 FLAC, 1 h of silence ({len(flac_hour) // 1024} KB)", send(flac_hour, "audio/flac")),
        ("D1 WAV whose header says 1 Hz (2 KB)", send(one_hertz_wav(), "audio/wav")),
        ("D1 nine 1 h FLACs at once", lambda server: _concurrently(9, lambda: send(flac_hour, "audio/flac")(server))),
        ("D2 nine stalled bodies + one request", lambda server: _behind_slow_clients(server, jfk, timeout)),
        ("D3 temperature [0.0]*100, 11 s speech",
         send(lca_json(jfk, temperature=[0.0] * 100, no_speech_threshold=None), "application/json")),
        ("D3 6 temperatures, beam 10, 100 s noise", send(long_noise_request(), "application/json")),
        ("D4 82-byte SDP sent as audio/mpeg", lambda server: _sockets_opened(server, timeout)),
        ("D6 JSON nested 100k levels", send(b"[" * 100_000 + b"]" * 100_000, "application/json")),
        ("D7 initial_prompt + hotwords, 250 words each",  # each under 2,000 characters, together > 448 tokens
         send(lca_json(jfk, initial_prompt=" ".join(["refund"] * 250), hotwords=" ".join(["account"] * 250)),
              "application/json")),
        ("D8 next request after a client gave up", lambda server: _after_abandoned(server, jfk, timeout)),
    ]


def _concurrently(n: int, action: Callable[[], tuple[str, str]]) -> tuple[str, str]:
    with ThreadPoolExecutor(n) as pool:
        statuses = [f.result()[0] for f in [pool.submit(action) for _ in range(n)]]
    return _counts(statuses), f"{n} requests"


def _counts(statuses: list[str]) -> str:
    return " ".join(f"{statuses.count(s)}x{s}" for s in sorted(set(statuses)))


def _behind_slow_clients(server: Server, body: bytes, timeout: float) -> tuple[str, str]:
    stalled = []
    for _ in range(9):
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\n"
                     b"Content-Length: 99999\r\n\r\n")
        stalled.append(sock)
    time.sleep(0.5)
    try:
        return post(f"{server.url}/invocations", body, "audio/wav", timeout), "the one real request"
    finally:
        for sock in stalled:
            sock.close()


def _sockets_opened(server: Server, timeout: float) -> tuple[str, str]:
    sdp = b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 5004 RTP/AVP 96\r\n"
    before, seen, stop = server.sockets(), set(), threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.update(server.sockets() - before)
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        status = post(f"{server.url}/invocations", sdp, "audio/mpeg", timeout)
    finally:
        stop.set()
        watcher.join()
    udp = [s for s in seen if s[0] == socket.SOCK_DGRAM]
    return status, f"{len(udp)} UDP sockets opened"


def _after_abandoned(server: Server, short: bytes, timeout: float) -> tuple[str, str]:
    post(f"{server.url}/invocations", long_noise_request(), "application/json", 1.0)  # the client gives up after 1 s
    start = time.monotonic()
    status = post(f"{server.url}/invocations", short, "audio/wav", timeout)
    return status, f"it took {time.monotonic() - start:.1f} s"


def sigterm_row(code_dir: Path, env: dict[str, str], timeout: float) -> Row:
    server = Server(code_dir, env)
    body = long_noise_request()
    try:
        def action() -> tuple[str, str]:
            threading.Thread(target=post, args=(f"{server.url}/invocations", body, "application/json", timeout),
                             daemon=True).start()
            time.sleep(2)
            server.proc.send_signal(signal.SIGTERM)
            start = time.monotonic()
            try:
                server.proc.wait(timeout=timeout)
                return f"exit {server.proc.returncode}", f"{time.monotonic() - start:.1f} s after SIGTERM"
            except subprocess.TimeoutExpired:
                return "still running", f"> {timeout:g} s after SIGTERM"

        return server.measure("D8 SIGTERM during a long request", action)
    finally:
        server.stop()


def worst_mix(code_dir: Path, env: dict[str, str], timeout: float) -> Row:
    """Nine of the costliest bodies each limit still admits, at once, on a fresh server."""
    server = Server(code_dir, env)
    flac = silence(119, "FLAC", 48000, 2)  # the longest, widest stream that passes the default bounds
    lca = lca_json(noise_wav(48))  # ~5.5 MB: about LCA's largest body
    deep = b"[" * 3_000_000 + b"]" * 3_000_000
    bodies = [(flac, "audio/flac")] * 3 + [(lca, "application/json")] * 3 + [(deep, "application/json")] * 3
    try:
        def action() -> tuple[str, str]:
            with ThreadPoolExecutor(9) as pool:
                statuses = list(pool.map(lambda b: post(f"{server.url}/invocations", b[0], b[1], timeout), bodies))
            hwm = _vm_hwm(server.proc.pid)
            return _counts(statuses), f"VmHWM {hwm:.0f} MiB"

        return server.measure("nine worst-case bodies at once", action)
    finally:
        server.stop()


def _vm_hwm(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def silent_s3_row(code_dir: Path, timeout: float) -> Row:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        env = {"WHISPER_S3_ALLOWED_BUCKETS": "calls", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{listener.getsockname()[1]}",
               "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}
        server = Server(code_dir, env)
        try:
            return server.measure("D5 s3_uri on a silent endpoint", lambda: (post(
                f"{server.url}/invocations", b'{"s3_uri": "s3://calls/a.wav"}', "application/json", timeout), ""))
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code-dir", type=Path, default=REPO, help="tree holding the inference package")
    parser.add_argument("--timeout", type=float, default=60.0, help="client timeout per request (s)")
    parser.add_argument("--only", metavar="TEXT", help="run only the cases whose name contains TEXT")
    args = parser.parse_args(argv)
    env = {"WHISPER_CPU_THREADS": "2"}
    rows, idle = [], 0.0
    for name, action in cases(args.timeout):  # each on a fresh server: no case pays for the last one's work
        if args.only and args.only not in name:
            continue
        server = Server(args.code_dir, env)
        try:
            idle = server.rss_mib()
            rows.append(server.measure(name, functools.partial(action, server)))
        finally:
            server.stop()
    for name, make in [("D5", lambda: silent_s3_row(args.code_dir, args.timeout)),
                       ("D8 SIGTERM", lambda: sigterm_row(args.code_dir, env, args.timeout)),
                       ("nine worst-case", lambda: worst_mix(args.code_dir, env, args.timeout))]:
        if not args.only or args.only in name:
            rows.append(make())
    print(f"tree: {args.code_dir}  client timeout {args.timeout:g} s  idle server RSS {idle:.0f} MiB")
    print(f"{'case':<45} {'status':<14} {'time, s':>8} {'peak RSS, MiB':>14}  note")
    for row in rows:
        print(f"{row.case:<45} {row.status:<14} {row.seconds:>8.1f} {row.peak_mib:>14.0f}  {row.note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
