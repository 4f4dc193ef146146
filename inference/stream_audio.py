"""Raw audio frames of a stream -> 16 kHz float32, one array per transcribed channel.

Frames carry interleaved samples in the session's ``encoding`` at its ``sample_rate``; a
frame may end inside a sample or between the channels of one, so the bytes left over
wait for the next frame. ``multichannel`` keeps the channels apart; without it they are
mixed to one, as Deepgram does. Other rates go through one soxr stream per session, so
no frame boundary leaves a seam in the audio.
"""

from __future__ import annotations

import numpy as np
import soxr

from .audio import SAMPLE_RATE
from .stream_options import StreamOptions


def _mulaw_table() -> np.ndarray:
    """G.711 mu-law byte -> linear sample in [-1, 1)."""
    codes = ~np.arange(256, dtype=np.uint8)
    sign, exponent, mantissa = codes & 0x80, (codes >> 4) & 0x07, codes & 0x0F
    magnitude = ((mantissa.astype(np.int32) << 3) + 0x84) << exponent
    linear = np.where(sign, 0x84 - magnitude, magnitude - 0x84)
    return (linear / 32768.0).astype(np.float32)


_MULAW = _mulaw_table()


class FrameDecoder:
    """Turns a session's binary frames into per-channel 16 kHz audio."""

    def __init__(self, options: StreamOptions) -> None:
        self._options = options
        self._width = 2 if options.encoding == "linear16" else 1
        self._leftover = b""
        self._resampler = (soxr.ResampleStream(options.sample_rate, SAMPLE_RATE, options.transcribed_channels,
                                               dtype="float32")
                           if options.sample_rate != SAMPLE_RATE else None)

    def decode(self, frame: bytes) -> list[np.ndarray]:
        """The audio of ``frame`` (with what the last frame left over), one array per channel."""
        data = self._leftover + frame
        step = self._width * self._options.channels
        whole = len(data) // step * step
        self._leftover = data[whole:]
        return self._convert(data[:whole], last=False)

    def flush(self) -> list[np.ndarray]:
        """What the resampler still holds, at the end of the stream."""
        return self._convert(b"", last=True)

    def _convert(self, data: bytes, last: bool) -> list[np.ndarray]:
        if self._options.encoding == "linear16":
            samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
        else:
            samples = _MULAW[np.frombuffer(data, dtype=np.uint8)]
        frames = samples.reshape(-1, self._options.channels)
        if not self._options.multichannel:
            frames = frames.mean(axis=1, keepdims=True, dtype=np.float32)
        if self._resampler is not None:
            frames = self._resampler.resample_chunk(np.ascontiguousarray(frames), last=last)
            frames = frames.reshape(-1, self._options.transcribed_channels)
        return [np.ascontiguousarray(frames[:, i], dtype=np.float32) for i in range(frames.shape[1])]
