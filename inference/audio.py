"""Audio bytes -> 16 kHz mono float32, with the work bounded before and while decoding.

A small compressed body can hold hours of audio (an hour of FLAC silence is ~180 KB),
and a header can claim any sample rate. So every format is checked twice against the
:class:`~.config.ServingConfig` limits: from its header before a sample is decoded
(duration, sample rate, channels), and while it is decoded block by block (a header
may not know or may lie about its length). Each block is mixed to mono and resampled
as it comes (or kept apart, for per-channel transcription) into one preallocated
16 kHz array, so memory grows with the allowed duration at 16 kHz, never with the
input's rate, channel count or claimed length.

libsndfile reads WAV, FLAC, OGG and MP3. PyAV (FFmpeg) is the fallback for files it
rejects, but only for those four containers, recognised by their first bytes and forced
as the demuxer: FFmpeg never probes a body, so a playlist, SDP or concat file is never
opened as one (they can make FFmpeg open sockets and files).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator

import numpy as np
import soundfile
import soxr

from .config import ServingConfig
from .errors import ClientError, PayloadTooLarge

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
_BLOCK_FRAMES = 1 << 16
_UNKNOWN_FRAMES = 1 << 62  # libsndfile reports SF_COUNT_MAX when a header does not know its length
_GUESS_S = 30  # first allocation for a stream of unknown length, in seconds
_DAMAGED = "cannot decode the audio: not a WAV, FLAC, OGG or MP3 file, or it is damaged"


def too_long(seconds: float, config: ServingConfig) -> PayloadTooLarge:
    return PayloadTooLarge(f"the audio lasts {seconds:.1f} s or more; the limit is {config.max_audio_s:g} s "
                           "(WHISPER_MAX_AUDIO_S); send long recordings to the asynchronous endpoint")


def check_format(rate: int, channels: int, config: ServingConfig, frames: int | None = None) -> None:
    """Refuse a stream from its header: sample rate, channels, and the duration when known.

    Raises:
        ClientError: rate or channels out of bounds (400); PayloadTooLarge: too long (413).
    """
    if not config.min_sample_rate <= rate <= config.max_sample_rate:
        raise ClientError(f"sample rate {rate} Hz is outside {config.min_sample_rate}-{config.max_sample_rate} Hz "
                          "(WHISPER_MIN_SAMPLE_RATE, WHISPER_MAX_SAMPLE_RATE)")
    if not 1 <= channels <= config.max_channels:
        raise ClientError(f"{channels} channels; the limit is {config.max_channels} (WHISPER_MAX_CHANNELS)")
    if frames is not None and frames < _UNKNOWN_FRAMES and frames > config.max_audio_s * rate:
        raise too_long(frames / rate, config)


def to_whisper_rate(blocks: Iterable[np.ndarray], rate: int, config: ServingConfig, channels: int = 1,
                    frames: int | None = None, keep_channels: bool = False) -> np.ndarray:
    """Blocks of (frames, channels) float32 at ``rate`` -> 16 kHz float32, stopping at the limit.

    The result is written into one array sized from ``frames`` (the header's length, when
    it has one), so a long recording costs one float32 copy at 16 kHz plus one block, not
    a list of blocks and their concatenation.

    Returns:
        ``(samples,)`` with the channels averaged, or ``(channels, samples)`` with
        ``keep_channels`` (each row contiguous, ready to transcribe on its own).

    Raises:
        PayloadTooLarge: the blocks hold more than ``config.max_audio_s`` seconds.
        ClientError: they hold no samples.
    """
    limit = int(config.max_audio_s * rate)
    width = channels if keep_channels else 1
    stream = (soxr.ResampleStream(rate, SAMPLE_RATE, width, dtype="float32", quality="HQ")
              if rate != SAMPLE_RATE else None)
    known = frames is not None and 0 < frames < _UNKNOWN_FRAMES
    out = _Output(width, _output_frames(frames if known else min(limit, _GUESS_S * rate), rate))
    seen = 0
    for block in blocks:
        seen += len(block)
        if seen > limit:
            raise too_long(seen / rate, config)
        if not keep_channels:
            block = block.mean(axis=1, dtype=np.float32, keepdims=True) if block.shape[1] > 1 else block
        out.append(stream.resample_chunk(block) if stream else block)
    if not seen:
        raise ClientError("empty audio: the file holds no samples")
    if stream:
        out.append(stream.resample_chunk(np.empty((0, width), dtype=np.float32), last=True))
    return out.result() if keep_channels else out.result()[0]


def _output_frames(frames: int, rate: int) -> int:
    # soxr's stream gives round(frames * ratio) in all; a little slack saves a regrowth
    return -(-frames * SAMPLE_RATE // rate) + 64


class _Output:
    """A (channels, n) float32 array filled in place; grows by half when a header had no length.

    One channel grows with ``ndarray.resize``, i.e. ``realloc``: glibc moves a block it
    serves by mmap with ``mremap``, without a second copy, but one the heap serves (as it
    does under numpy 2.5, measured) is copied, up to 2x the audio at the peak. Several
    channels (only when kept apart, from a stream without a length) are copied into the
    larger array.
    """

    def __init__(self, channels: int, frames: int) -> None:
        self._data = np.empty((channels, max(frames, 1)), dtype=np.float32)
        self._size = 0

    def append(self, chunk: np.ndarray) -> None:
        end = self._size + len(chunk)
        if end > self._data.shape[1]:
            self._grow(max(end, self._data.shape[1] * 3 // 2))
        self._data[:, self._size:end] = chunk.reshape(len(chunk), -1).T
        self._size = end

    def _grow(self, frames: int) -> None:
        if self._data.shape[0] == 1:
            self._data.resize((1, frames), refcheck=False)  # nothing else refers to it
            return
        grown = np.empty((self._data.shape[0], frames), dtype=np.float32)
        grown[:, :self._size] = self._data[:, :self._size]
        self._data = grown

    def result(self) -> np.ndarray:
        if self._data.shape[0] == 1 and self._data.shape[1] > self._size + SAMPLE_RATE:
            self._data.resize((1, self._size), refcheck=False)  # give back a grown array's slack
        return self._data[:, :self._size]  # a view: no copy of the audio


def decode_file(data: bytes, config: ServingConfig, keep_channels: bool = False) -> np.ndarray:
    """A complete audio file (WAV, FLAC, OGG, MP3) -> 16 kHz float32 (see :func:`to_whisper_rate`).

    Raises:
        ClientError: not one of those files, damaged, empty, or out of the configured bounds.
    """
    if not data:
        raise ClientError("empty audio")
    try:
        sound = soundfile.SoundFile(io.BytesIO(data))
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        return _decode_with_av(data, exc, config, keep_channels)
    with sound:
        check_format(sound.samplerate, sound.channels, config, sound.frames)
        if sound.frames >= _UNKNOWN_FRAMES:  # libsndfile fails at the end of such a stream; FFmpeg does not
            return _decode_with_av(data, RuntimeError("no length in the header"), config, keep_channels)
        try:
            return to_whisper_rate(_sndfile_blocks(sound), sound.samplerate, config, sound.channels, sound.frames,
                                   keep_channels)
        except (soundfile.LibsndfileError, RuntimeError) as exc:
            logger.debug("libsndfile failed mid-stream: %s", exc)
            raise ClientError(_DAMAGED) from None


def _sndfile_blocks(sound: soundfile.SoundFile) -> Iterator[np.ndarray]:
    while True:
        block = sound.read(_BLOCK_FRAMES, dtype="float32", always_2d=True)
        if not len(block):
            return
        yield block


def decode_pcm16(data: bytes, options: dict[str, str], config: ServingConfig,
                 keep_channels: bool = False) -> np.ndarray:
    """Raw 16-bit PCM, ``audio/L16;rate=N[;channels=C][;endianness=little]`` -> 16 kHz float32.

    L16 is big-endian (network byte order, RFC 2586 / RFC 3551); ``endianness=little``
    selects little-endian for clients that send the machine's order.

    Raises:
        ClientError: missing or bad parameters, a body that is no whole frame, out of bounds.
    """
    try:
        rate = int(options["rate"])
        channels = int(options.get("channels", "1"))
    except KeyError:
        raise ClientError("audio/L16 needs its sample rate: 'audio/L16;rate=16000'") from None
    except ValueError:
        raise ClientError("audio/L16 'rate' and 'channels' must be integers") from None
    order = options.get("endianness", "big").lower()
    if order not in ("big", "little"):
        raise ClientError(f"audio/L16 'endianness' must be big (the default) or little, not {order!r}")
    check_format(rate, channels, config, len(data) // (2 * max(channels, 1)))
    if len(data) % (2 * channels):
        raise ClientError(f"audio/L16 body of {len(data)} bytes is not whole {channels}-channel 16-bit frames")
    pcm = np.frombuffer(data, dtype=">i2" if order == "big" else "<i2").reshape(-1, channels)
    blocks = (pcm[i:i + _BLOCK_FRAMES].astype(np.float32) / 32768.0 for i in range(0, len(pcm), _BLOCK_FRAMES))
    return to_whisper_rate(blocks, rate, config, channels, len(pcm), keep_channels)


def container_of(data: bytes) -> str | None:
    """The FFmpeg demuxer for the four containers we accept, from the first bytes; None for anything else."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"fLaC":
        return "flac"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def _decode_with_av(data: bytes, first_error: Exception, config: ServingConfig,
                    keep_channels: bool = False) -> np.ndarray:
    """Files libsndfile rejects, through FFmpeg restricted to one known demuxer and no protocols."""
    demuxer = container_of(data)
    if demuxer is None:
        logger.debug("libsndfile: %s; not a container FFmpeg may open", first_error)
        raise ClientError(_DAMAGED)
    import av  # only for the rare file libsndfile cannot read

    try:
        with av.open(io.BytesIO(data), mode="r", format=demuxer, metadata_errors="ignore",
                     options={"protocol_whitelist": "pipe", "format_whitelist": demuxer}) as container:
            if not container.streams.audio:
                raise ClientError("the body holds no audio stream")
            stream = container.streams.audio[0]
            rate, channels = stream.rate or 0, stream.channels or 0
            check_format(rate, channels, config)
            frames = None
            if container.duration is not None:  # microseconds, from the header when it has one
                frames = int(container.duration * rate / 1_000_000)
                check_format(rate, channels, config, frames)
                frames = -(-frames * SAMPLE_RATE // rate)  # the resampler below already gives 16 kHz
            width = channels if keep_channels else 1
            blocks = _av_blocks(container, stream, width)
            try:
                return to_whisper_rate(blocks, SAMPLE_RATE, config, width, frames, keep_channels)
            finally:
                blocks.close()  # before the container closes: a decoder left suspended crashes FFmpeg
    except ClientError:
        raise
    except (av.error.FFmpegError, ValueError, OSError, EOFError) as exc:
        logger.debug("libsndfile: %s; FFmpeg: %s", first_error, exc)
        raise ClientError(_DAMAGED) from None


def _av_blocks(container, stream, channels: int) -> Iterator[np.ndarray]:
    import av

    layout = "mono" if channels == 1 else stream.layout.name
    resampler = av.AudioResampler(format="flt", layout=layout, rate=SAMPLE_RATE)  # packed: (1, frames * channels)
    for frame in container.decode(stream):
        for out in resampler.resample(frame):
            yield out.to_ndarray().reshape(-1, channels)
    for out in resampler.resample(None):
        yield out.to_ndarray().reshape(-1, channels)
