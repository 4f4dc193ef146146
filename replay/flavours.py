"""The two LCA call transcribers that send audio to Whisper, and how they differ.

Both are read from aws-samples/amazon-transcribe-live-call-analytics:

* ``lambda``: ``lca-chimevc-stack/.../call_transcriber/whisper.js`` (Chime Voice Connector
  calls). The VAD and the utterance buffer hold the 8 kHz samples, but node-vad is told
  they are 16 kHz: a 480-sample frame is really 60 ms, so the 10-frame silence hang-over
  is 600 ms. The WAV is made by writing every 8 kHz sample twice.
* ``websocket``: ``lca-websocket-transcriber-stack/.../whisper.ts`` (browser/SIPREC
  streams). Each received chunk is first resampled to 16 kHz by linear interpolation,
  so frames are a true 30 ms and the hang-over is 300 ms. A success body without
  ``text`` yields no transcript instead of the Lambda's "Error with transcription".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from replay.lca_audio import TELEPHONE_RATE, WHISPER_RATE, upsample_by_repeat, upsample_linear


def _identity(samples: np.ndarray) -> np.ndarray:
    return samples


@dataclass(frozen=True)
class Flavour:
    """One LCA transcriber's audio path.

    Attributes:
        name: ``lambda`` or ``websocket``.
        buffer_rate: real rate of the samples the VAD reads and the utterance buffer keeps.
        to_buffer: a received 8 kHz stereo chunk -> buffer-rate stereo samples.
        to_wav: buffered utterance samples -> the 16 kHz samples written to the WAV.
        missing_text: the transcript LCA makes of a success body that has no ``text``.
    """

    name: str
    buffer_rate: int
    to_buffer: Callable[[np.ndarray], np.ndarray]
    to_wav: Callable[[np.ndarray], np.ndarray]
    missing_text: str
    # Both tell node-vad the samples are 16 kHz and use 480-sample frames, mode AGGRESSIVE.
    vad_claimed_rate: int = 16000
    frame_samples: int = 480
    silence_frames: int = 10

    @property
    def frame_seconds(self) -> float:
        return self.frame_samples / self.buffer_rate

    @property
    def hangover_seconds(self) -> float:
        """Silence after speech before the final request is sent."""
        return self.silence_frames * self.frame_seconds


LAMBDA = Flavour("lambda", TELEPHONE_RATE, _identity, upsample_by_repeat, "Error with transcription")
WEBSOCKET = Flavour("websocket", WHISPER_RATE, upsample_linear, _identity, "")
FLAVOURS = {f.name: f for f in (LAMBDA, WEBSOCKET)}
