"""The server's bounds over real HTTP: slow and idle clients hold no worker, gone clients
cancel their work, and SIGTERM drains, then exits."""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile
from inference_testlib import (
    REPO,
    SERVER_ENV,
    SERVER_MAX_QUEUE,
    SERVER_WORKERS,
    free_port,
    post,
    thread_server,
    wait_for_ping,
)

from inference import model as serving_model
from inference.config import ServingConfig
from inference.handler import Transcriber
from inference.listener import _IdleTimeoutH11
from inference.server import create_app
from replay.lca_audio import wav_bytes
from replay.wer import wer


def slow_client(url: str, declared: int = 100_000, sent: bytes = b'{"audio_input": [',
                content_type: str = "application/json") -> socket.socket:
    """A connection that sends its headers and the start of a body (``sent`` of ``declared`` bytes)."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.sendall(f"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
                 f"Content-Length: {declared}\r\n\r\n".encode() + sent)
    return sock


def answer_of(sock: socket.socket) -> tuple[int, dict]:
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < _length(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    return int(head.split()[1]), json.loads(body)


def _length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 0


def test_slow_clients_hold_no_worker_and_get_408(server, clips):
    short = next(c for c in clips if c.name == "librivox-0930")
    stalled = [slow_client(server.url) for _ in range(SERVER_WORKERS + SERVER_MAX_QUEUE + 3)]
    try:
        time.sleep(0.3)
        answer = post(f"{server.url}/invocations", short.path.read_bytes(), "audio/wav")
        assert answer.status == 200, answer.body  # formerly 503: the stalled bodies held every place
        statuses = [answer_of(sock) for sock in stalled]
    finally:
        for sock in stalled:
            sock.close()
    assert {s for s, _ in statuses} == {408}
    assert all("WHISPER_BODY_TIMEOUT_S" in body["error"] for _, body in statuses)


def test_a_connection_that_sends_nothing_is_closed(server):
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as idle:
        start = time.monotonic()
        assert idle.recv(1) == b""  # closed by the server
        assert time.monotonic() - start < 5  # WHISPER_IDLE_TIMEOUT_S=1 in the fixture
    with socket.create_connection((host, int(port)), timeout=10) as partial:
        partial.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        assert partial.recv(1) == b""
    assert server.alive()


class CancellableModel:
    """Blocks like a long decode until released or until its request is cancelled."""

    def __init__(self) -> None:
        self.started = threading.Semaphore(0)
        self.release = threading.Event()
        self.cancelled: list[bool] = []

    def transcribe(self, audio, **options):
        scope = serving_model._scope.current  # the request scope transcribe() entered
        self.started.release()
        deadline = time.monotonic() + 30
        while not (self.release.is_set() or scope.cancelled.is_set()) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.cancelled.append(scope.cancelled.is_set())
        scope.check()
        return iter([]), SimpleNamespace(language="en", duration_after_vad=0.0)


@pytest.fixture
def cancellable_server(model_dir):
    model = CancellableModel()
    config = ServingConfig(max_queue=1, max_reading=2, body_timeout_s=5)
    app = create_app(model_dir, config, load=lambda path, cfg: Transcriber(model, cfg))
    protocol = type("P", (_IdleTimeoutH11,), {"idle_timeout_s": 5.0})
    with thread_server(app, http=protocol) as url:
        try:
            yield url, model
        finally:
            model.release.set()


def test_work_of_a_client_that_left_is_cancelled(cancellable_server, short_wav):
    url, model = cancellable_server
    with slow_client(url, len(short_wav), short_wav, "audio/wav"):  # the whole body, then the client leaves
        assert model.started.acquire(timeout=20)
    deadline = time.monotonic() + 10
    while not model.cancelled and time.monotonic() < deadline:
        time.sleep(0.02)
    assert model.cancelled == [True]
    model.release.set()
    assert post(f"{url}/invocations", short_wav, "audio/wav", timeout=20).status == 200


def test_bodies_being_read_are_bounded(cancellable_server):
    url, _ = cancellable_server
    stalled = [slow_client(url) for _ in range(2)]
    try:
        time.sleep(0.3)
        answer = post(f"{url}/invocations", b"{}", "application/json", timeout=10)
        assert answer.status == 503 and "WHISPER_MAX_READING" in answer.json()["error"]
    finally:
        for sock in stalled:
            sock.close()


@pytest.fixture
def short_wav(clips) -> bytes:
    return next(c for c in clips if c.name == "librivox-0930").path.read_bytes()


def noise_wav(seconds: float) -> bytes:
    """White noise: Whisper finds no confident text in it, so every temperature is tried."""
    return wav_bytes(np.random.default_rng(1).normal(0, 3000, int(16000 * seconds)).astype(np.int16))


@pytest.mark.slow
@pytest.mark.parametrize("work", ["finishes within the grace period", "outlasts the grace period"])
def test_sigterm_drains_admitted_work_then_exits(model_dir, short_wav, tmp_path, work):
    port = free_port()
    # long enough for a 4 s clip on a loaded machine, or short so that 100 s of noise outlasts it
    grace = 20.0 if work.startswith("finishes") else 3.0
    env = dict(os.environ, PYTHONPATH=str(REPO), **{**SERVER_ENV, "WHISPER_SHUTDOWN_GRACE_S": f"{grace:g}"})
    log = tmp_path / "server.log"
    with log.open("w") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "inference", "serve", "--model-dir", str(model_dir),
                                 "--port", str(port)], cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_ping(url, 120, alive=lambda: proc.poll() is None, why=lambda: log.read_text()[-2000:],
                      poll_s=0.1)
        if work.startswith("finishes"):
            body, content_type = short_wav, "audio/wav"
        else:  # 100 s of noise, six temperatures, beam 10: minutes of CPU if nothing stops it
            body = json.dumps({"audio_data": base64.b64encode(noise_wav(100)).decode(),
                               "parameters": {"temperature": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
                                              "no_speech_threshold": None, "beam_size": 10,
                                              "vad_filter": False}}).encode()  # VAD would drop noise
            content_type = "application/json"
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(post, f"{url}/invocations", body, content_type, None, 60)
            time.sleep(1.0)
            proc.send_signal(signal.SIGTERM)
            start = time.monotonic()
            proc.wait(timeout=grace + 30)
            stopped_after = time.monotonic() - start
            try:
                status = answer.result(10).status
            except OSError:
                status = None  # the connection was closed at the end of the grace period
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # uvicorn re-raises SIGTERM once it has shut down, so the exit reads as "killed by SIGTERM"
    assert proc.returncode == -signal.SIGTERM, log.read_text()[-2000:]
    assert "Application shutdown complete" in log.read_text()
    if work.startswith("finishes"):
        assert status == 200, log.read_text()[-3000:]
    else:
        # then at most one decoder call (seconds; more on a loaded 2-core machine) before it exits
        assert status != 200 and grace <= stopped_after < grace + 30, (status, stopped_after, log.read_text()[-2000:])


def test_payload_limit_is_configurable_for_asynchronous_endpoints(model_dir, transcriber, jfk, server):
    # 35 s of 48 kHz stereo WAV (JFK, then silence): 6.7 MB, above SageMaker real-time's 6 MB
    speech = np.repeat(np.repeat(wav_pcm(jfk.path), 3)[:, None], 2, axis=1)
    pcm = np.zeros((35 * 48000, 2), dtype=np.int16)
    pcm[:len(speech)] = speech
    body = wav_bytes_at(pcm, 48000)
    assert 6 * 1024 * 1024 < len(body) < 8 * 1024 * 1024
    refused = post(f"{server.url}/invocations", body, "audio/wav")  # the default: SageMaker real-time's limit
    assert refused.status == 413 and "WHISPER_MAX_PAYLOAD_BYTES" in refused.json()["error"]
    config = ServingConfig(max_payload_bytes=8 * 1024 * 1024)
    app = create_app(model_dir, config, load=lambda path, c: Transcriber(transcriber.model, c))
    with thread_server(app) as url:
        answer = post(f"{url}/invocations", body, "audio/wav", accept="text/plain")
    assert answer.status == 200, answer.body
    assert wer([jfk.reference], [answer.body.decode()]) <= 0.1, answer.body


def wav_pcm(path) -> np.ndarray:
    return soundfile.read(str(path), dtype="int16")[0]


def wav_bytes_at(pcm: np.ndarray, rate: int) -> bytes:
    buf = io.BytesIO()
    soundfile.write(buf, pcm, rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()
