"""The local endpoint over real HTTP: health, content types, errors, boto3, overload, fuzz.

Every content type's decoding is covered in test_codecs.py; here a few go end to end.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import boto3
import numpy as np
import pytest
import soundfile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inference_testlib import SERVER_MAX_QUEUE, SERVER_WORKERS, get, post, thread_server
from starlette.testclient import TestClient

from inference.codecs import MAX_PAYLOAD_BYTES
from inference.config import ServingConfig
from inference.handler import Transcriber
from inference.server import create_app
from replay.lca_audio import lca_request_body, lca_transcript, to_telephone, wav_bytes
from replay.wer import wer


@pytest.fixture(scope="module")
def short_clip(clips):
    return next(c for c in clips if c.name == "librivox-0930")


@pytest.fixture(scope="module")
def short_pcm(short_clip) -> np.ndarray:
    return soundfile.read(short_clip.path, dtype="int16")[0]


def encoded(pcm: np.ndarray, fmt: str, subtype: str | None = None, rate: int = 16000) -> bytes:
    buf = io.BytesIO()
    soundfile.write(buf, pcm, rate, format=fmt, subtype=subtype)
    return buf.getvalue()


# --- health --------------------------------------------------------------------------------

def test_ping_is_503_until_the_model_is_loaded_and_warmed(model_dir, transcriber):
    release = threading.Event()

    def slow_load(path, config):
        assert release.wait(30)
        return transcriber

    with TestClient(create_app(model_dir, ServingConfig(max_queue=0), load=slow_load)) as client:
        ping = client.get("/ping")
        assert ping.status_code == 503 and "loading" in ping.json()["error"]
        early = client.post("/invocations", content=b"{}", headers={"Content-Type": "application/json"})
        assert early.status_code == 503 and "not loaded" in early.json()["error"]
        release.set()
        deadline = time.monotonic() + 10
        while client.get("/ping").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert client.post("/ping").status_code == 200  # the streaming contract pings with POST too


def test_ping_reports_a_failed_load(model_dir, caplog):
    def broken(path, config):
        raise RuntimeError("disk on fire")

    app = create_app(model_dir, ServingConfig(max_queue=0), load=broken)
    with caplog.at_level(logging.ERROR), TestClient(app) as client:
        deadline = time.monotonic() + 10
        while "disk on fire" not in client.get("/ping").text:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert client.get("/ping").status_code == 503
    assert any(r.exc_info for r in caplog.records), "the load failure is logged with its traceback"


def test_real_server_was_503_then_200(server):
    assert server.ping_statuses[-1] == 200
    assert 503 in server.ping_statuses, "the fixture polls from start-up: /ping must say 503 while loading"


# --- content types over HTTP ---------------------------------------------------------------

@pytest.mark.parametrize("content_type, make", [
    ("application/json", lambda pcm: lca_request_body(wav_bytes(pcm))),
    ("audio/mpeg", lambda pcm: encoded(pcm, "MP3")),
    ("audio/L16;rate=8000", lambda pcm: to_telephone(pcm).astype(">i2").tobytes()),
    ("audio/L16;rate=8000;endianness=little", lambda pcm: to_telephone(pcm).astype("<i2").tobytes()),
])
def test_every_content_type_transcribes(server, short_clip, short_pcm, content_type, make):
    answer = post(f"{server.url}/invocations", make(short_pcm), content_type)
    assert answer.status == 200, answer.body
    assert answer.headers["content-type"].startswith("application/json")
    assert wer([short_clip.reference], [answer.json()["text"]]) <= 0.2, answer.json()["text"]


# --- errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("body, content_type, accept, status", [
    (b'{"audio_input": [82, 73', "application/json", None, 400),
    (b'{"audio_input": [1, 2, 3]}', "application/json", None, 400),
    (b'{"audio_input": [82], "parameters": {"beam_size": "wide"}}', "application/json", None, 400),
    (b"", "audio/wav", None, 400),
    (b"hello", "text/plain", None, 415),
    (b"{}", "application/json", "text/csv", 406),
    (b"\0" * (MAX_PAYLOAD_BYTES + 1), "audio/wav", None, 413),
])
def test_client_errors_are_4xx_json_and_the_server_keeps_serving(server, body, content_type, accept, status):
    answer = post(f"{server.url}/invocations", body, content_type, accept)
    assert answer.status == status
    assert isinstance(answer.json()["error"], str) and answer.json()["error"]
    assert server.alive()


def test_internal_faults_are_500_with_a_logged_traceback(model_dir, short_clip, caplog):
    class BrokenModel:
        def transcribe(self, *args, **kwargs):
            raise RuntimeError("CUDA out of memory")

    load = lambda path, config: Transcriber(BrokenModel(), config)  # noqa: E731
    with caplog.at_level(logging.ERROR), TestClient(create_app(model_dir, ServingConfig(max_queue=0),
                                                               load=load)) as client:
        while client.get("/ping").status_code != 200:
            time.sleep(0.01)
        answer = client.post("/invocations", content=short_clip.path.read_bytes(),
                             headers={"Content-Type": "audio/wav"})
        assert answer.status_code == 500
        assert "CUDA out of memory" in answer.json()["error"]
        assert client.post("/invocations", content=b"x", headers={"Content-Type": "audio/wav"}).status_code == 400
    assert any(r.exc_info and "CUDA out of memory" in str(r.exc_info[1]) for r in caplog.records)


# --- boto3 sagemaker-runtime ---------------------------------------------------------------

def runtime(url: str):
    return boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def test_boto3_invoke_endpoint_as_lca_calls_it(server, jfk):
    response = runtime(server.url).invoke_endpoint(
        EndpointName="whisper-endpoint-lca", ContentType="application/json",
        Body=lca_request_body(jfk.path.read_bytes()))
    assert response["ContentType"] == "application/json"
    assert response["InvokedProductionVariant"] == "AllTraffic"
    text = lca_transcript(json.loads(response["Body"].read()))
    assert wer([jfk.reference], [text]) <= 0.1, text


def test_boto3_sees_model_errors_as_sagemaker_reports_them(server):
    client = runtime(server.url)
    with pytest.raises(client.exceptions.ModelError) as err:
        client.invoke_endpoint(EndpointName="whisper", ContentType="application/json", Body=b"{nope")
    assert err.value.response["OriginalStatusCode"] == 400
    assert "malformed JSON" in json.loads(err.value.response["OriginalMessage"])["error"]
    assert server.alive()


# --- concurrency ---------------------------------------------------------------------------

class GatedModel:
    """Stands in for the model so overload is deterministic: each call waits for ``release``."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Semaphore(0)

    def transcribe(self, audio, **options):
        self.started.release()
        assert self.release.wait(60)
        return iter([]), SimpleNamespace(language="en", duration_after_vad=0.0)


@pytest.fixture
def gated_server(model_dir):
    """A real uvicorn server in a thread whose model blocks until the test releases it."""
    model = GatedModel()
    app = create_app(model_dir, ServingConfig(max_queue=1), load=lambda path, config: Transcriber(model, config))
    with thread_server(app) as url:
        try:
            yield url, model
        finally:
            model.release.set()


def test_overload_answers_503_at_once_and_recovers(gated_server, short_clip):
    url, model = gated_server
    body = short_clip.path.read_bytes()
    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(post, f"{url}/invocations", body, "audio/wav")
        assert model.started.acquire(timeout=20)  # the one worker is busy
        queued = pool.submit(post, f"{url}/invocations", body, "audio/wav")
        time.sleep(0.3)  # let it take the one queue place
        refused = [post(f"{url}/invocations", body, "audio/wav", timeout=5) for _ in range(3)]
        assert [a.status for a in refused] == [503] * 3
        assert all("busy" in a.json()["error"] for a in refused)
        assert get(f"{url}/ping").status == 200  # health stays up while saturated
        model.release.set()
        assert running.result(30).status == 200 and queued.result(30).status == 200
    assert post(f"{url}/invocations", body, "audio/wav").status == 200


def test_real_server_answers_concurrent_callers(server, clips):
    chosen = [c for c in clips if c.name in ("librivox-0930", "goforward")]
    with ThreadPoolExecutor(SERVER_WORKERS + SERVER_MAX_QUEUE) as pool:
        answers = list(pool.map(lambda c: post(f"{server.url}/invocations", c.path.read_bytes(), "audio/wav"),
                                chosen))
    assert [a.status for a in answers] == [200, 200]
    assert wer([c.reference for c in chosen], [a.json()["text"] for a in answers]) <= 0.2


# --- fuzz ----------------------------------------------------------------------------------

CONTENT_TYPES = ["application/json", "audio/wav", "audio/x-wav", "audio/flac", "audio/ogg", "audio/mpeg",
                 "audio/L16", "audio/L16;rate=0", "text/plain", "application/octet-stream", "", "audio/wav;;;=",
                 "application/json; charset=utf-8"]


def _containers(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)


@st.composite
def deep_bodies(draw) -> bytes:
    """JSON nested far beyond Python's recursion limit, at the root or inside a key the handler reads."""
    depth = draw(st.integers(1, 300_000))
    opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
    where = draw(st.sampled_from([b"%s", b'{"audio_input": %s}', b'{"audio_input": [82], "parameters": %s}']))
    return where.replace(b"%s", opener * depth + b"0" + closer * depth)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-300, 300) | st.floats(allow_nan=False) | st.text(max_size=20),
    _containers, max_leaves=20,
)
json_bodies = st.fixed_dictionaries({}, optional={
    "audio_input": st.lists(st.integers(-2, 300), max_size=64) | json_values,
    "audio_data": st.text(max_size=40) | json_values,
    "s3_uri": st.text(max_size=30),
    "audio_path": st.text(max_size=10),
    "parameters": st.dictionaries(st.sampled_from(["beam_size", "language", "temperature", "task", "vad_filter",
                                                   "word_timestamps", "no_speech_threshold"]), json_values),
}).map(lambda d: json.dumps(d).encode())
bodies = (st.binary(max_size=512) | json_bodies | st.builds(lambda b: b"RIFF" + b, st.binary(max_size=200))
          | deep_bodies())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, content_type=st.sampled_from(CONTENT_TYPES))
def test_fuzzed_requests_get_4xx_and_the_server_survives(server, body, content_type):
    answer = post(f"{server.url}/invocations", body, content_type or None, timeout=30)
    assert 400 <= answer.status < 500, (answer.status, answer.body[:200])
    assert json.loads(answer.body)["error"]


def test_server_is_still_healthy_after_the_fuzzing(server, short_clip):
    assert server.alive()
    answer = post(f"{server.url}/invocations", short_clip.path.read_bytes(), "audio/wav")
    assert answer.status == 200
