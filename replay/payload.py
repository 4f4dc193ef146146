"""LCA's request bodies, built incrementally.

LCA re-sends the whole growing utterance about once a second, each time as a WAV file
spelled out as a JSON array of byte values: ~3.5 JSON bytes per audio byte. Encoding
that from scratch costs the client ~0.1 s per 10 s of audio, CPU that the local server
(on the same machine) would lose. The bytes on the wire are identical to
``replay.lca_audio.lca_request_body(wav_bytes(audio))``; only the work is reused.
"""

from __future__ import annotations

import json

import numpy as np

from replay.lca_audio import LCA_PARAMETERS, wav_header

_DIGITS = [str(i).encode() for i in range(256)]


def _byte_list(data: bytes) -> bytes:
    return b",".join(map(_DIGITS.__getitem__, data))


class GrowingPayload:
    """The request body for an utterance that only ever grows.

    Args:
        parameters: the request ``parameters``; ``None`` sends LCA's own.
    """

    def __init__(self, parameters: dict | None = None) -> None:
        params = dict(LCA_PARAMETERS if parameters is None else parameters)
        self._tail = b'],"parameters":' + json.dumps(params, separators=(",", ":")).encode() + b"}"
        self._encoded: list[bytes] = []
        self._samples = 0

    @property
    def samples(self) -> int:
        """16 kHz samples encoded so far."""
        return self._samples

    def extend_to(self, samples_16k: np.ndarray) -> None:
        """Encode the samples beyond those already encoded.

        Raises:
            ValueError: ``samples_16k`` is shorter than what was encoded (a new
                utterance needs a new ``GrowingPayload``).
        """
        if len(samples_16k) < self._samples:
            raise ValueError("the utterance shrank: start a new GrowingPayload")
        new = samples_16k[self._samples:]
        if len(new):
            self._encoded.append(_byte_list(new.astype("<i2").tobytes()))
            self._samples = len(samples_16k)

    def body(self) -> bytes:
        """The full ``{"audio_input": [...], "parameters": {...}}`` body for what is encoded."""
        header = wav_header(self._samples)
        parts = [_byte_list(header)] + self._encoded
        return b'{"audio_input":[' + b",".join(parts) + self._tail
