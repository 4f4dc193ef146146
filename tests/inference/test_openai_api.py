"""OpenAI's transcription API, spoken to by OpenAI's own Python client against the real local server,
and the same multipart request on the SageMaker routes (urllib3's encoder, boto3)."""

from __future__ import annotations

import io
import json

import boto3
import openai
import pytest
import srt
import urllib3
import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st
from inference_testlib import post

from inference import handler, multipart
from inference.config import ServingConfig
from inference.errors import ClientError
from replay.wer import wer


@pytest.fixture(scope="module")
def client(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0, timeout=120)


def transcribe(client: openai.OpenAI, clip, **options):
    with clip.path.open("rb") as audio:
        return client.audio.transcriptions.create(model="whisper-1", file=audio, language="en", **options)


def increasing(times: list[tuple[float, float]], duration: float) -> bool:
    starts = [s for s, _ in times]
    return starts == sorted(starts) and all(0 <= s <= e <= duration + 0.01 for s, e in times)


def test_json(client, jfk):
    answer = transcribe(client, jfk)
    assert isinstance(answer, openai.types.audio.Transcription)
    assert wer([jfk.reference], [answer.text]) <= 0.1, answer.text


def test_verbose_json_with_word_timestamps(client, jfk):
    answer = transcribe(client, jfk, response_format="verbose_json", timestamp_granularities=["word", "segment"])
    assert isinstance(answer, openai.types.audio.TranscriptionVerbose)
    assert answer.duration == pytest.approx(jfk.seconds, abs=0.01) and answer.language == "en"
    assert wer([jfk.reference], [answer.text]) <= 0.1
    assert answer.segments and increasing([(s.start, s.end) for s in answer.segments], jfk.seconds)
    assert answer.words and increasing([(w.start, w.end) for w in answer.words], jfk.seconds)
    assert wer([jfk.reference], [" ".join(w.word for w in answer.words)]) <= 0.1


def test_verbose_json_without_words_unless_asked(client, jfk):
    answer = transcribe(client, jfk, response_format="verbose_json")
    assert answer.words is None and answer.segments


def test_text(client, jfk):
    answer = transcribe(client, jfk, response_format="text")
    assert isinstance(answer, str) and answer.endswith("\n") and "\n" not in answer[:-1]
    assert wer([jfk.reference], [answer]) <= 0.1


def test_srt(client, jfk):
    cues = list(srt.parse(transcribe(client, jfk, response_format="srt")))
    assert [c.index for c in cues] == list(range(1, len(cues) + 1)) and cues
    assert increasing([(c.start.total_seconds(), c.end.total_seconds()) for c in cues], jfk.seconds)
    assert wer([jfk.reference], [" ".join(c.content for c in cues)]) <= 0.1


def test_vtt(client, jfk):
    answer = transcribe(client, jfk, response_format="vtt", prompt="President Kennedy's inaugural address.")
    assert answer.startswith("WEBVTT\n\n")
    captions = webvtt.from_buffer(io.StringIO(answer)).captions
    times = [(c.start_time.in_milliseconds() / 1000, c.end_time.in_milliseconds() / 1000) for c in captions]
    assert captions and increasing(times, jfk.seconds)
    assert wer([jfk.reference], [" ".join(c.text for c in captions)]) <= 0.1


def test_errors_have_openais_shape(client, server, jfk):
    with pytest.raises(openai.BadRequestError) as err:
        transcribe(client, jfk, response_format="xml")
    assert err.value.status_code == 400 and "response_format" in err.value.message
    assert err.value.body["type"] == "invalid_request_error"
    answer = post(f"{server.url}/v1/audio/transcriptions", b"not multipart", "multipart/form-data; boundary=x")
    assert answer.status == 400
    assert answer.json()["error"]["type"] == "invalid_request_error" and answer.json()["error"]["message"]
    assert server.alive()


def form(clip, **fields) -> tuple[bytes, str]:
    parts = [("file", (clip.path.name, clip.path.read_bytes(), "audio/wav")), ("model", "whisper-1")]
    parts += [(k, v) for k, values in fields.items() for v in (values if isinstance(values, list) else [values])]
    return urllib3.encode_multipart_formdata(parts)


@pytest.mark.parametrize("route", ["/invocations", "/endpoints/whisper/invocations"])
def test_multipart_on_the_sagemaker_routes(server, jfk, route):
    body, content_type = form(jfk, response_format="srt", language="en", temperature="0.0")
    answer = post(f"{server.url}{route}", body, content_type)
    assert answer.status == 200, answer.body
    assert answer.headers["content-type"].startswith("application/x-subrip")
    assert wer([jfk.reference], [" ".join(c.content for c in srt.parse(answer.body.decode()))]) <= 0.1


def test_multipart_fields_are_validated(server, jfk):
    body, content_type = form(jfk, beam_size="wide")
    answer = post(f"{server.url}/invocations", body, content_type)
    assert answer.status == 400 and "beam_size" in answer.json()["error"]


def runtime(url: str):
    return boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def test_boto3_accept_text_vtt(server, jfk):
    response = runtime(server.url).invoke_endpoint(EndpointName="whisper", ContentType="audio/wav",
                                                   Accept="text/vtt", Body=jfk.path.read_bytes())
    assert response["ContentType"].startswith("text/vtt")
    captions = webvtt.from_buffer(io.StringIO(response["Body"].read().decode())).captions
    assert wer([jfk.reference], [" ".join(c.text for c in captions)]) <= 0.1


def test_boto3_custom_attributes_and_multipart(server, jfk):
    body, content_type = form(jfk, response_format="verbose_json")
    response = runtime(server.url).invoke_endpoint(EndpointName="whisper", ContentType=content_type, Body=body,
                                                   CustomAttributes="timestamp_granularities=word;language=en")
    answer = json.loads(response["Body"].read())
    assert answer["task"] == "transcribe" and answer["words"]
    assert increasing([(w["start"], w["end"]) for w in answer["words"]], jfk.seconds)


# --- the multipart parser's bounds ----------------------------------------------------------

def body_of(*parts: tuple[str, bytes], boundary: str = "b0und") -> bytes:
    out = b"".join(b"--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                   % (boundary.encode(), name.encode(), value) for name, value in parts)
    return out + b"--%s--\r\n" % boundary.encode()


def test_parser_reads_fields_and_the_file():
    parsed = multipart.parse_form(b"preamble\r\n" + body_of(("file", b"RIFF\r\n--b0un"), ("language", b"en"),
                                                          ("timestamp_granularities[]", b"word"),
                                                          ("timestamp_granularities[]", b"segment")), "b0und")
    assert parsed.file == b"RIFF\r\n--b0un"
    assert parsed.fields == {"language": ["en"], "timestamp_granularities[]": ["word", "segment"]}


@pytest.mark.parametrize("body, boundary, message", [
    (body_of(("file", b"x")), None, "boundary"),
    (body_of(("file", b"x")), "b0und\r\nX: y", "boundary"),
    (b"no delimiter here", "b0und", "never occurs"),
    (body_of(("language", b"en")), "b0und", "exactly one 'file'"),
    (body_of(("file", b"x"), ("file", b"y")), "b0und", "exactly one 'file'"),
    (body_of(*[("f", b"1")] * 65, ("file", b"x")), "b0und", "more than 64 parts"),
    (body_of(("file", b"x"), ("prompt", b"a" * 70_000)), "b0und", "longer than"),
    (body_of(("file", b"x"), ("prompt", b"\xff")), "b0und", "UTF-8"),
    (b"--b0und\r\nContent-Type: audio/wav\r\n\r\nx\r\n--b0und--", "b0und", "Content-Disposition"),
    (b"--b0und\r\n" + b"X: " + b"y" * 9000 + b"\r\n\r\nx\r\n--b0und--", "b0und", "headers do not end"),
    (b"--b0und\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx", "b0und", "no closing boundary"),
])
def test_parser_refuses_malformed_bodies(body, boundary, message):
    with pytest.raises(ClientError, match=message) as err:
        multipart.parse_form(body, boundary)
    assert err.value.status == 400


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.builds(lambda a, b: a + b"--b0und" + b, st.binary(max_size=80),
                                           st.binary(max_size=120)))
def test_parser_fuzz_only_client_errors(body):
    try:
        multipart.parse_form(body, "b0und")
    except ClientError as exc:
        assert exc.status == 400


def test_multipart_is_a_whole_recording(jfk):
    body, content_type = form(jfk, prompt="Kennedy", temperature="0.0,0.2", channel_names="a,b", model="x")
    data = handler.decode_invocation(body, content_type, ServingConfig())
    assert not data.parameters.hold_back_cut_word  # its end cuts no word
    assert (data.parameters.initial_prompt, data.parameters.temperature) == ("Kennedy", (0.0, 0.2))
    assert data.parameters.channel_names == ("a", "b") and data.request.audio.ndim == 1
