"""Request bodies -> 16 kHz float32 audio plus the raw ``parameters`` mapping.

Accepted (the LCA contract in ``inference/README.md``):

* ``application/json``: ``{"audio_input": [82, 73, ...]}`` (the WAV file's bytes, what LCA
  sends), ``{"audio_data": "<base64>"}``, or ``{"s3_uri": "s3://bucket/key"}`` for buckets
  listed in ``WHISPER_S3_ALLOWED_BUCKETS`` (none by default); optional ``"parameters"``.
* raw audio files: ``audio/wav``, ``audio/x-wav``, ``audio/wave``, ``audio/flac``,
  ``audio/ogg``, ``audio/mpeg``;
* raw PCM: ``audio/L16;rate=N[;channels=C][;endianness=little]``, signed 16-bit,
  big-endian unless ``endianness=little``;
* ``multipart/form-data``: OpenAI's transcription request (a ``file`` part and text fields).

Parameters may also come from SageMaker's ``X-Amzn-SageMaker-Custom-Attributes`` header
(``key=value;key=value``); the body's own parameters win. A request is read in two steps,
:func:`parse_request` (the audio's bytes and the parameters) and :func:`decode_audio`,
so that the parameters can say how to decode (``channels``). Decoding and its bounds
live in ``audio.py``, ``s3_uri`` reads in ``s3.py``, multipart in ``multipart.py``.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import audio, multipart, s3
from .audio import SAMPLE_RATE
from .config import ServingConfig
from .errors import ClientError, PayloadTooLarge, UnsupportedMediaType
from .parameters import from_attributes, from_text

logger = logging.getLogger(__name__)

# SageMaker real-time inference refuses request payloads above 6 MB (WHISPER_MAX_PAYLOAD_BYTES's default).
MAX_PAYLOAD_BYTES = ServingConfig().max_payload_bytes
DEFAULT_CONFIG = ServingConfig()

JSON_TYPES = frozenset({"application/json"})
FILE_TYPES = frozenset({"audio/wav", "audio/x-wav", "audio/wave", "audio/flac", "audio/x-flac",
                        "audio/ogg", "audio/mpeg", "audio/mp3"})
PCM_TYPES = frozenset({"audio/l16"})
FORM_TYPES = frozenset({"multipart/form-data"})
SUPPORTED_TYPES = ("application/json", "audio/wav", "audio/x-wav", "audio/flac", "audio/ogg",
                   "audio/mpeg", "audio/L16;rate=N", "multipart/form-data")

_AUDIO_INPUT_KEY = b'"audio_input"'
_ARRAY_START = re.compile(rb'"audio_input"\s*:\s*\[')
_ZERO = 0x30


@dataclass
class DecodedRequest:
    """What ``input_fn`` hands to ``predict_fn``: audio at 16 kHz and the raw parameters.

    ``audio`` is ``(samples,)``, or ``(channels, samples)`` when the channels are kept apart.
    """

    audio: np.ndarray
    parameters: dict = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.audio.shape[-1] / SAMPLE_RATE


@dataclass
class AudioPayload:
    """A request's audio before decoding: a file's bytes, or raw PCM with its L16 options."""

    data: bytes
    pcm_options: dict[str, str] | None = None
    form: bool = False  # it came as OpenAI's multipart request (a whole recording)


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


def parse_request(body: bytes | str, content_type: str | None, config: ServingConfig = DEFAULT_CONFIG,
                  attributes: str | None = None) -> tuple[AudioPayload, dict]:
    """The audio's bytes and the raw parameters (``attributes``: the custom-attributes header).

    Raises:
        ClientError: the body or its content type is unusable, or too large (4xx).
    """
    mime, options = parse_content_type(content_type)
    if isinstance(body, str):  # the HF toolkit hands JSON bodies over as text
        body = body.encode("utf-8")
    if len(body) > config.max_payload_bytes:
        raise PayloadTooLarge(f"payload is {len(body)} bytes; the limit is {config.max_payload_bytes} "
                              "(WHISPER_MAX_PAYLOAD_BYTES)")
    if not body:
        raise ClientError("empty request body")
    header = from_attributes(attributes)
    if mime in JSON_TYPES:
        data, parameters = _decode_json(body, config)
        return AudioPayload(data), {**header, **parameters}
    if mime in FILE_TYPES:
        return AudioPayload(body), header
    if mime in PCM_TYPES:
        return AudioPayload(body, options), header
    if mime in FORM_TYPES:
        form = multipart.parse_form(body, options.get("boundary"))
        return AudioPayload(form.file, form=True), {**header, **from_text(form.fields)}
    raise UnsupportedMediaType(f"unsupported Content-Type {content_type!r}; supported: {', '.join(SUPPORTED_TYPES)}")


def decode_audio(payload: AudioPayload, config: ServingConfig = DEFAULT_CONFIG,
                 keep_channels: bool = False) -> np.ndarray:
    """16 kHz float32: ``(samples,)``, or ``(channels, samples)`` with ``keep_channels``.

    Raises:
        ClientError: the audio is unusable or out of the configured bounds (4xx).
    """
    if payload.pcm_options is not None:
        return audio.decode_pcm16(payload.data, payload.pcm_options, config, keep_channels)
    return audio.decode_file(payload.data, config, keep_channels)


# --- JSON -------------------------------------------------------------------------------

def _decode_json(body: bytes, config: ServingConfig) -> tuple[bytes, dict]:
    fast = _fast_audio_input(body)
    if fast is not None:
        document, audio_bytes = fast
    else:
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ClientError(f"malformed JSON: {exc}") from None
        except RecursionError:  # json's C parser refuses deep nesting cleanly
            raise ClientError("malformed JSON: nested too deeply") from None
        if not isinstance(document, dict):
            raise ClientError("the JSON body must be an object with 'audio_input', 'audio_data' or 's3_uri'")
        audio_bytes = None
    parameters = document.get("parameters", {})
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        raise ClientError("'parameters' must be a JSON object")
    if audio_bytes is None:
        audio_bytes = _audio_bytes_from_document(document, config)
    return audio_bytes, parameters


def _audio_bytes_from_document(document: dict, config: ServingConfig) -> bytes:
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
    return s3.fetch(value, config)


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
    except (ValueError, UnicodeDecodeError, RecursionError):
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
