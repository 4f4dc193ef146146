"""Request bodies -> 16 kHz mono float32 audio plus the raw ``parameters`` mapping.

Accepted (DESIGN.md, Contract 1 and issue 2):

* ``application/json``: ``{"audio_input": [82, 73, ...]}`` (the WAV file's bytes, what LCA
  sends), ``{"audio_data": "<base64>"}``, or ``{"s3_uri": "s3://bucket/key"}`` for buckets
  listed in ``WHISPER_S3_ALLOWED_BUCKETS`` (none by default); optional ``"parameters"``.
* raw audio files: ``audio/wav``, ``audio/x-wav``, ``audio/wave``, ``audio/flac``,
  ``audio/ogg``, ``audio/mpeg``;
* raw PCM: ``audio/L16;rate=N[;channels=C]``, signed 16-bit little-endian.

Any sample rate is resampled to 16 kHz with soxr; several channels are averaged.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import os
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import soundfile
import soxr

from .errors import ClientError, PayloadTooLarge, UnsupportedMediaType

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
# SageMaker real-time inference refuses request payloads above 6 MB.
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
# An object fetched through s3_uri is not bound by the payload limit, but must stay sane.
MAX_S3_OBJECT_BYTES = 100 * 1024 * 1024

JSON_TYPES = frozenset({"application/json"})
FILE_TYPES = frozenset({"audio/wav", "audio/x-wav", "audio/wave", "audio/flac", "audio/x-flac",
                        "audio/ogg", "audio/mpeg", "audio/mp3"})
PCM_TYPES = frozenset({"audio/l16"})
SUPPORTED_TYPES = ("application/json", "audio/wav", "audio/x-wav", "audio/flac", "audio/ogg",
                   "audio/mpeg", "audio/L16;rate=N")

_AUDIO_INPUT_KEY = b'"audio_input"'
_ARRAY_START = re.compile(rb'"audio_input"\s*:\s*\[')
_ZERO = 0x30


@dataclass
class DecodedRequest:
    """What ``input_fn`` hands to ``predict_fn``: audio at 16 kHz and the raw parameters."""

    audio: np.ndarray
    parameters: dict = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return len(self.audio) / SAMPLE_RATE


def parse_content_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """``"audio/L16; rate=8000"`` -> ``("audio/l16", {"rate": "8000"})``."""
    if not content_type:
        raise UnsupportedMediaType(f"missing Content-Type; supported: {', '.join(SUPPORTED_TYPES)}")
    mime, *params = (part.strip() for part in content_type.split(";"))
    options = {}
    for param in params:
        key, _, value = param.partition("=")
        if key:
            options[key.strip().lower()] = value.strip().strip('"')
    return mime.lower(), options


def decode_request(body: bytes | str, content_type: str | None) -> DecodedRequest:
    """Decode one request body.

    Raises:
        ClientError: the body, its audio or its content type is unusable (4xx).
    """
    mime, options = parse_content_type(content_type)
    if isinstance(body, str):  # the HF toolkit hands JSON bodies over as text
        body = body.encode("utf-8")
    if len(body) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(f"payload is {len(body)} bytes; the limit is {MAX_PAYLOAD_BYTES} (6 MB)")
    if not body:
        raise ClientError("empty request body")
    if mime in JSON_TYPES:
        return _decode_json(body)
    if mime in FILE_TYPES:
        return DecodedRequest(decode_audio_file(body))
    if mime in PCM_TYPES:
        return DecodedRequest(decode_pcm16(body, options))
    raise UnsupportedMediaType(f"unsupported Content-Type {content_type!r}; supported: {', '.join(SUPPORTED_TYPES)}")


# --- JSON -------------------------------------------------------------------------------

def _decode_json(body: bytes) -> DecodedRequest:
    fast = _fast_audio_input(body)
    if fast is not None:
        document, audio_bytes = fast
    else:
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ClientError(f"malformed JSON: {exc}") from None
        if not isinstance(document, dict):
            raise ClientError("the JSON body must be an object with 'audio_input', 'audio_data' or 's3_uri'")
        audio_bytes = None
    parameters = document.get("parameters", {})
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        raise ClientError("'parameters' must be a JSON object")
    if audio_bytes is None:
        audio_bytes = _audio_bytes_from_document(document)
    return DecodedRequest(decode_audio_file(audio_bytes), parameters)


def _audio_bytes_from_document(document: dict) -> bytes:
    sources = [key for key in ("audio_input", "audio_data", "s3_uri") if key in document]
    if "audio_path" in document:
        raise ClientError("'audio_path' is not supported; send the audio as 'audio_input' or 'audio_data'")
    if len(sources) != 1:
        found = " and ".join(sources) if sources else "none"
        raise ClientError(f"exactly one of 'audio_input', 'audio_data', 's3_uri' is required (found {found})")
    value = document[sources[0]]
    if sources[0] == "audio_input":
        return _byte_list(value)
    if sources[0] == "audio_data":
        if not isinstance(value, str):
            raise ClientError("'audio_data' must be a base64 string")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ClientError(f"'audio_data' is not valid base64: {exc}") from None
    return fetch_s3_audio(value)


def _byte_list(value: object) -> bytes:
    if not isinstance(value, list):
        raise ClientError("'audio_input' must be an array of byte values (0-255)")
    if not all(type(v) is int and 0 <= v <= 255 for v in value):
        raise ClientError("'audio_input' must contain only integers 0-255")
    return bytes(value)


def _fast_audio_input(body: bytes) -> tuple[dict, bytes] | None:
    """Parse LCA's body without building a 3.5-million-element Python list.

    Finds the one ``"audio_input": [...]`` array, converts its digits with numpy, and
    parses the rest of the document (``parameters``) with ``json``. Returns ``None``
    whenever the body is anything but the plain shape (several keys, nested use,
    floats, leading zeros, values above 255...): the caller then falls back to
    ``json.loads``, which also produces the exact error for malformed JSON.
    """
    if body.count(_AUDIO_INPUT_KEY) != 1:
        return None
    match = _ARRAY_START.search(body)
    if match is None:
        return None
    start = match.end()
    end = body.find(b"]", start)
    if end < 0:
        return None
    values = _parse_uint8_csv(body, start, end)
    if values is None:
        return None
    try:
        rest = json.loads(body[:start] + body[end:])
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(rest, dict) or rest.get("audio_input") != [] or len(rest) != len(
        [k for k in rest if k in ("audio_input", "parameters")]
    ):
        return None  # other audio sources next to audio_input: let the full path complain
    return rest, values.tobytes()


def _parse_uint8_csv(body: bytes, start: int, end: int) -> np.ndarray | None:
    """``body[start:end]`` = ASCII ``"82,73,70"`` -> ``uint8[82, 73, 70]``, or ``None`` if not strictly that.

    ``np.fromstring`` does the digit parsing in C (3x faster than ``json.loads`` here);
    it is lenient, so JSON's stricter rules are checked around it: only digits, commas
    and whitespace, no empty elements, no leading zeros, values 0-255.
    """
    text = body[start:end]
    if text.translate(None, b"0123456789, \t\r\n"):
        return None  # signs, decimals, exponents, anything else: leave it to json
    if not text.strip():
        return np.empty(0, dtype=np.uint8)
    chars = np.frombuffer(text, dtype=np.uint8)
    offset = chars - np.uint8(_ZERO)
    is_digit = offset < 10
    leading_zero = (offset[1:-1] == 0) & ~is_digit[:-2] & is_digit[2:]
    if leading_zero.any() or (offset[0] == 0 and chars.size > 1 and is_digit[1]):
        return None  # JSON forbids leading zeros
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # numpy's "could not read to its end"
        try:
            values = np.fromstring(text, dtype=np.int16, sep=",")
        except (DeprecationWarning, ValueError):
            return None
    if values.size != text.count(b",") + 1 or (values.size and values.max() > 255):
        return None  # an empty element (",,", trailing comma) or a value above a byte
    return values.astype(np.uint8)


# --- audio ------------------------------------------------------------------------------

def decode_audio_file(data: bytes) -> np.ndarray:
    """A complete audio file (WAV, FLAC, OGG, MP3...) -> 16 kHz mono float32.

    Raises:
        ClientError: the bytes are no audio file we can decode, or hold no samples.
    """
    if not data:
        raise ClientError("empty audio")
    try:
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        samples, rate = _decode_with_av(data, exc)
    return _to_whisper_rate(samples, rate)


def _decode_with_av(data: bytes, first_error: Exception) -> tuple[np.ndarray, int]:
    """Formats libsndfile lacks: PyAV (FFmpeg), which faster-whisper depends on anyway."""
    import av  # only for the rare file libsndfile cannot read

    try:
        with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise ClientError("the body holds no audio stream")
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            chunks = []
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except ClientError:
        raise
    except (av.error.FFmpegError, ValueError, OSError, EOFError) as exc:
        logger.debug("libsndfile: %s; FFmpeg: %s", first_error, exc)
        raise ClientError("cannot decode the audio: not a WAV, FLAC, OGG or MP3 file, or it is damaged") from None
    audio = np.concatenate(chunks) if chunks else np.empty(0, dtype=np.float32)
    return audio.astype(np.float32).reshape(-1, 1), SAMPLE_RATE


def decode_pcm16(data: bytes, options: dict[str, str]) -> np.ndarray:
    """Raw s16le PCM (``audio/L16;rate=N[;channels=C]``) -> 16 kHz mono float32.

    Raises:
        ClientError: missing or bad ``rate``/``channels``, or a body that is no whole frame.
    """
    try:
        rate = int(options["rate"])
        channels = int(options.get("channels", "1"))
    except KeyError:
        raise ClientError("audio/L16 needs its sample rate: 'audio/L16;rate=16000'") from None
    except ValueError:
        raise ClientError("audio/L16 'rate' and 'channels' must be integers") from None
    if not 1000 <= rate <= 384000 or not 1 <= channels <= 8:
        raise ClientError(f"audio/L16 rate {rate} or channels {channels} out of range")
    if len(data) % (2 * channels):
        raise ClientError(f"audio/L16 body of {len(data)} bytes is not whole {channels}-channel 16-bit frames")
    pcm = np.frombuffer(data, dtype="<i2").reshape(-1, channels)
    return _to_whisper_rate(pcm.astype(np.float32) / 32768.0, rate)


def _to_whisper_rate(samples: np.ndarray, rate: int) -> np.ndarray:
    mono = samples.mean(axis=1) if samples.ndim == 2 and samples.shape[1] > 1 else samples.reshape(-1)
    if mono.size == 0:
        raise ClientError("empty audio: the file holds no samples")
    if rate != SAMPLE_RATE:
        mono = soxr.resample(mono, rate, SAMPLE_RATE, quality="HQ")
    return np.ascontiguousarray(mono, dtype=np.float32)


# --- S3 ---------------------------------------------------------------------------------

def allowed_buckets() -> frozenset[str]:
    """Buckets ``s3_uri`` may read, from ``WHISPER_S3_ALLOWED_BUCKETS`` (comma-separated)."""
    raw = os.environ.get("WHISPER_S3_ALLOWED_BUCKETS", "")
    return frozenset(b.strip() for b in raw.split(",") if b.strip())


def fetch_s3_audio(uri: object) -> bytes:
    """Read an audio object from an allow-listed bucket.

    Raises:
        ClientError: not an ``s3://bucket/key`` string, bucket not allowed (403), object
            missing or unreadable, or larger than ``MAX_S3_OBJECT_BYTES``.
    """
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        raise ClientError("'s3_uri' must be a string 's3://bucket/key'")
    bucket, _, key = uri[len("s3://"):].partition("/")
    if not bucket or not key:
        raise ClientError(f"'s3_uri' {uri!r} must name a bucket and a key")
    if bucket not in allowed_buckets():
        raise ClientError(f"bucket {bucket!r} is not allowed for s3_uri (WHISPER_S3_ALLOWED_BUCKETS)", 403)
    import boto3  # only needed when S3 input is switched on
    from botocore.exceptions import BotoCoreError, ClientError as BotoClientError

    try:
        obj = boto3.client("s3").get_object(Bucket=bucket, Key=key)
        if obj.get("ContentLength", 0) > MAX_S3_OBJECT_BYTES:
            raise ClientError(f"{uri} is larger than {MAX_S3_OBJECT_BYTES} bytes")
        return obj["Body"].read()
    except BotoClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise ClientError(f"cannot read {uri}: {code or exc}", 404 if code in ("NoSuchKey", "404") else 400) from None
    except BotoCoreError as exc:
        logger.warning("S3 read of %s failed: %s", uri, exc)
        raise ClientError(f"cannot read {uri}: {exc}") from None
