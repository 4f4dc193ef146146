"""The audio and request shapes LCA's call transcriber produces (docs/lca-contract.md).

LCA receives 8 kHz stereo telephone audio, splits the channels, upsamples each to 16 kHz
(the Lambda by repeating every sample) and sends a complete 44-byte-header WAV file as a
JSON array of byte values in ``audio_input``.
"""

from __future__ import annotations

import json
import struct

import numpy as np

TELEPHONE_RATE = 8000
WHISPER_RATE = 16000

# What LCA's call transcriber sends on every request.
LCA_PARAMETERS = {
    "language": "en",
    "task": "transcribe",
    "temperature": 0.0,
    "no_speech_threshold": 0.2,
    "beam_size": 5,
}
LCA_NO_SPEECH_THRESHOLD = 0.2


def to_telephone(samples_16k: np.ndarray) -> np.ndarray:
    """16 kHz int16 speech -> 8 kHz int16 telephone band (low-pass by averaging pairs, decimate)."""
    x = samples_16k.astype(np.int32)
    if len(x) % 2:
        x = x[:-1]
    return ((x[0::2] + x[1::2]) // 2).astype(np.int16)


def upsample_by_repeat(samples_8k: np.ndarray) -> np.ndarray:
    """8 kHz -> 16 kHz the way LCA's Lambda does it: every sample twice."""
    return np.repeat(samples_8k.astype(np.int16), 2)


def wav_header(num_samples: int, rate: int = WHISPER_RATE) -> bytes:
    """The canonical 44-byte header of a mono s16le WAV holding ``num_samples`` samples."""
    size = 2 * num_samples
    header = b"RIFF" + struct.pack("<I", 36 + size) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return header + b"data" + struct.pack("<I", size)


def wav_bytes(samples: np.ndarray, rate: int = WHISPER_RATE) -> bytes:
    """A complete mono s16le WAV file with the canonical 44-byte header."""
    return wav_header(len(samples), rate) + samples.astype("<i2").tobytes()


def lca_request_body(wav: bytes, parameters: dict | None = None) -> bytes:
    """The InvokeEndpoint body LCA sends: ``{"audio_input": [82,73,...], "parameters": {...}}``."""
    return json.dumps(
        {"audio_input": list(wav), "parameters": dict(LCA_PARAMETERS if parameters is None else parameters)},
        separators=(",", ":"),
    ).encode()


def lca_transcript(response: dict, threshold: float = LCA_NO_SPEECH_THRESHOLD) -> str | None:
    """Read a response as LCA's client does: ``None`` means LCA drops it (error or no speech)."""
    if response.get("error"):
        return None
    no_speech = response.get("no_speech_prob")
    if no_speech is not None and no_speech > threshold:
        return None
    if "text" not in response:
        return "Error with transcription"
    return response["text"]


def upsample_linear(chunk_8k: np.ndarray) -> np.ndarray:
    """8 kHz -> 16 kHz the way LCA's WebSocket transcriber does it, one received chunk at a time.

    Linear interpolation with JavaScript's ``Math.round`` (halves round up); the last
    output sample of a chunk repeats the chunk's last input sample, because the
    interpolation never looks into the next chunk. Works on mono ``(n,)`` or stereo
    ``(n, 2)`` chunks.
    """
    x = np.asarray(chunk_8k, dtype=np.int32)
    n = len(x)
    if n == 0:
        return np.asarray(chunk_8k, dtype=np.int16).copy()
    source = np.arange(2 * n) / 2.0
    lower = np.floor(source).astype(np.int64)
    upper = np.minimum(lower + 1, n - 1)
    fraction = source - lower
    if x.ndim == 2:
        fraction = fraction[:, None]
    value = x[lower] + (x[upper] - x[lower]) * fraction
    return np.floor(value + 0.5).astype(np.int16)
