"""Request decoding on real clips: every content type, the fast audio_input path, errors."""

from __future__ import annotations

import base64
import io
import json

import boto3
import numpy as np
import pytest
import soundfile
from inference_testlib import decode_request

from inference import codecs, s3
from inference.config import ServingConfig
from inference.errors import ClientError, PayloadTooLarge, UnsupportedMediaType
from replay.lca_audio import lca_request_body, to_telephone, upsample_by_repeat, wav_bytes


@pytest.fixture(scope="module")
def jfk_pcm(jfk) -> np.ndarray:
    samples, rate = soundfile.read(jfk.path, dtype="int16")
    assert rate == 16000
    return samples


def encode(pcm: np.ndarray, rate: int, fmt: str, subtype: str | None = None) -> bytes:
    buf = io.BytesIO()
    soundfile.write(buf, pcm, rate, format=fmt, subtype=subtype)
    return buf.getvalue()


def reference(pcm: np.ndarray) -> np.ndarray:
    return pcm.astype(np.float32) / 32768.0


def test_lca_body_fast_path_matches_json(jfk, jfk_pcm):
    wav = jfk.path.read_bytes()
    body = lca_request_body(wav)
    fast = codecs._fast_audio_input(body)
    assert fast is not None, "LCA's own body shape must take the fast path"
    document, audio = fast
    assert audio == bytes(json.loads(body)["audio_input"])
    assert document["parameters"]["beam_size"] == 5
    decoded = decode_request(body, "application/json")
    np.testing.assert_array_equal(decoded.audio, reference(jfk_pcm))
    assert decoded.parameters == json.loads(body)["parameters"]


@pytest.mark.parametrize("array", ["[82, 73,\n 70 ,70]", "[82,73,70,70]"])
def test_fast_path_accepts_json_whitespace(array):
    document, audio = codecs._fast_audio_input(f'{{"audio_input": {array}}}'.encode())
    assert audio == b"RIFF"


@pytest.mark.parametrize("array", ["[01,2]", "[1,,2]", "[1,2,]", "[256]", "[-1]", "[1.5]", "[1e2]", '["1"]',
                                   "[true]", "[1 2]", "[null]"])
def test_unusual_arrays_leave_the_fast_path_and_are_refused(array):
    body = f'{{"audio_input": {array}}}'.encode()
    assert codecs._fast_audio_input(body) is None
    with pytest.raises(ClientError) as err:
        decode_request(body, "application/json")
    assert err.value.status == 400


def test_other_sources_next_to_audio_input_take_the_full_path(jfk):
    body = json.dumps({"audio_input": [1, 2], "audio_data": "AAAA"}).encode()
    assert codecs._fast_audio_input(body) is None
    with pytest.raises(ClientError, match="exactly one"):
        decode_request(body, "application/json")


@pytest.mark.parametrize("body, message", [
    (b'{"audio_input": [1,2', "malformed JSON"),
    (b"not json", "malformed JSON"),
    (b"[1,2,3]", "must be an object"),
    (b'{"parameters": {}}', "exactly one"),
    (b'{"audio_input": "RIFF"}', "array of byte values"),
    (b'{"audio_data": 5}', "base64 string"),
    (b'{"audio_data": "not base64!"}', "not valid base64"),
    (b'{"audio_path": "/etc/passwd"}', "not supported"),
    (b'{"audio_input": [], "parameters": {}}', "empty audio"),
    (b'{"audio_input": [82,73,70,70], "parameters": 3}', "'parameters' must be a JSON object"),
    (b'{"audio_input": [82,73,70,70,1,2,3,4]}', "cannot decode the audio"),
    (b'\xff\xfe{}', "malformed JSON"),
])
def test_bad_json_bodies_are_client_errors(body, message):
    with pytest.raises(ClientError, match=message) as err:
        decode_request(body, "application/json")
    assert err.value.status == 400


def test_audio_data_base64(jfk, jfk_pcm):
    body = json.dumps({"audio_data": base64.b64encode(jfk.path.read_bytes()).decode()})
    decoded = decode_request(body, "application/json")  # str body, as the HF toolkit hands it over
    np.testing.assert_array_equal(decoded.audio, reference(jfk_pcm))


@pytest.mark.parametrize("content_type, fmt, subtype, tolerance", [
    ("audio/wav", "WAV", "PCM_16", 0.0),
    ("audio/x-wav", "WAV", "PCM_16", 0.0),
    ("audio/flac", "FLAC", None, 0.0),
    ("audio/ogg", "OGG", "VORBIS", 0.2),
    ("audio/mpeg", "MP3", None, 0.2),
])
def test_file_content_types_decode_to_the_clip(jfk_pcm, content_type, fmt, subtype, tolerance):
    data = encode(jfk_pcm, 16000, fmt, subtype)
    audio = decode_request(data, content_type).audio
    expected = reference(jfk_pcm)
    if tolerance == 0.0:
        np.testing.assert_array_equal(audio, expected)
        return
    # lossy codecs add encoder delay and noise: compare levels and the aligned waveform
    assert abs(len(audio) - len(expected)) < 0.1 * 16000
    delay = int(np.argmax(np.correlate(audio[8000:24000], expected[8000:12000], mode="valid")))
    shifted = audio[8000 + delay: 8000 + delay + 100000]
    corr = np.corrcoef(shifted, expected[8000: 8000 + len(shifted)])[0, 1]
    assert corr > 1 - tolerance, corr


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_any_sample_rate_is_resampled_to_16k(jfk_pcm, rate):
    import soxr

    pcm = (soxr.resample(reference(jfk_pcm), 16000, rate) * 32767).astype(np.int16)
    audio = decode_request(encode(pcm, rate, "WAV", "PCM_16"), "audio/wav").audio
    assert abs(len(audio) - len(jfk_pcm)) <= 2
    corr = np.corrcoef(audio[: len(jfk_pcm)][:160000], reference(jfk_pcm)[:160000])[0, 1]
    assert corr > 0.95


@pytest.mark.parametrize("order, dtype", [("", ">i2"), (";endianness=big", ">i2"), ("; endianness=little", "<i2")])
def test_l16_is_big_endian_unless_the_parameter_says_little(jfk_pcm, order, dtype):
    tel = to_telephone(jfk_pcm)
    expected = decode_request(wav_bytes(tel, 8000), "audio/wav").audio  # the same samples in a WAV
    mono = decode_request(tel.astype(dtype).tobytes(), f"audio/L16;rate=8000{order}").audio
    np.testing.assert_array_equal(mono, expected)
    stereo = np.stack([tel, np.zeros_like(tel)], axis=1).astype(dtype).tobytes()
    both = decode_request(stereo, f"audio/L16; rate=8000; channels=2{order}").audio
    np.testing.assert_allclose(both, mono / 2, atol=1e-4)


def test_l16_in_the_wrong_byte_order_is_not_the_speech(jfk_pcm):
    tel = to_telephone(jfk_pcm)
    right = decode_request(tel.astype(">i2").tobytes(), "audio/L16;rate=8000").audio
    wrong = decode_request(tel.astype("<i2").tobytes(), "audio/L16;rate=8000").audio
    assert abs(np.corrcoef(right, wrong)[0, 1]) < 0.2


def test_lca_upsampled_wav_decodes_exactly(jfk_pcm):
    lca = upsample_by_repeat(to_telephone(jfk_pcm))
    audio = decode_request(lca_request_body(wav_bytes(lca)), "application/json").audio
    np.testing.assert_array_equal(audio, reference(lca))


@pytest.mark.parametrize("content_type, body, status, message", [
    ("audio/L16", b"\0\0", 400, "sample rate"),
    ("audio/L16;rate=abc", b"\0\0", 400, "integers"),
    ("audio/L16;rate=8000;endianness=middle", b"\0\0", 400, "endianness"),
    ("audio/L16;rate=8000", b"\0\0\0", 400, "whole"),
    ("audio/L16;rate=8000", b"", 400, "empty request body"),
    ("audio/wav", b"RIFF0000WAVEjunk", 400, "cannot decode"),
    ("audio/flac", b"\x00" * 100, 400, "cannot decode"),
    ("text/plain", b"hello", 415, "unsupported Content-Type"),
    (None, b"hello", 415, "missing Content-Type"),
    ("audio/wav", b"\0" * (codecs.MAX_PAYLOAD_BYTES + 1), 413, "limit"),
])
def test_bad_audio_and_types(content_type, body, status, message):
    with pytest.raises(ClientError, match=message) as err:
        decode_request(body, content_type)
    assert err.value.status == status


def test_wav_without_samples_is_empty_audio():
    with pytest.raises(ClientError, match="empty audio"):
        decode_request(wav_bytes(np.zeros(0, dtype=np.int16)), "audio/wav")


def test_error_classes_carry_their_status():
    assert PayloadTooLarge("x").status == 413 and UnsupportedMediaType("x").status == 415


def test_s3_uri_is_off_by_default():
    with pytest.raises(ClientError, match="not allowed") as err:
        decode_request(b'{"s3_uri": "s3://any/clip.wav"}', "application/json")
    assert err.value.status == 403


def test_s3_uri_reads_allowed_buckets_from_real_s3_api(aws_endpoint, monkeypatch, jfk, jfk_pcm):
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_endpoint)
    s3._client.cache_clear()
    config = ServingConfig.from_env({"WHISPER_S3_ALLOWED_BUCKETS": "other, calls"})
    client = boto3.client("s3")
    client.create_bucket(Bucket="calls")
    client.create_bucket(Bucket="secrets")
    client.put_object(Bucket="calls", Key="a/jfk.wav", Body=jfk.path.read_bytes())
    client.put_object(Bucket="secrets", Key="jfk.wav", Body=jfk.path.read_bytes())

    decoded = decode_request(b'{"s3_uri": "s3://calls/a/jfk.wav"}', "application/json", config)
    np.testing.assert_array_equal(decoded.audio, reference(jfk_pcm))
    with pytest.raises(ClientError, match="not allowed"):
        decode_request(b'{"s3_uri": "s3://secrets/jfk.wav"}', "application/json", config)
    with pytest.raises(ClientError, match="does not exist") as err:
        decode_request(b'{"s3_uri": "s3://calls/missing.wav"}', "application/json", config)
    assert err.value.status == 404
    with pytest.raises(ClientError, match="bucket and a key"):
        decode_request(b'{"s3_uri": "s3://calls"}', "application/json", config)
    small = ServingConfig(s3_allowed_buckets=frozenset({"calls"}), s3_max_bytes=1000)
    with pytest.raises(ClientError, match="WHISPER_S3_MAX_BYTES") as err:
        decode_request(b'{"s3_uri": "s3://calls/a/jfk.wav"}', "application/json", small)
    assert err.value.status == 413
