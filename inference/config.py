"""The serving configuration: every ``WHISPER_*`` environment variable, read once, in one place.

:func:`ServingConfig.from_env` runs at model load (``model_fn``) or server start; the
frozen result is then handed to whatever needs it (model, codecs, parameters, server),
so no request reads the environment. ``inference/README.md`` documents each variable in
one table, and a test checks that table against :data:`VARIABLES`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PIPELINES = ("auto", "sequential", "batched")  # WHISPER_PIPELINE's values (long_audio.py runs them)
# name -> the ServingConfig field it sets (the README's table lists exactly these)
VARIABLES = {
    "WHISPER_DEVICE": "device",
    "WHISPER_COMPUTE_TYPE": "compute_type",
    "WHISPER_CPU_THREADS": "cpu_threads",
    "WHISPER_WORKERS": "workers",
    "WHISPER_MAX_QUEUE": "max_queue",
    "WHISPER_ENCODER_WINDOW": "short_window",
    "WHISPER_WINDOW_MARGIN_S": "window_margin_s",
    "WHISPER_WINDOW_FILL": "window_fill",
    "WHISPER_MAX_AUDIO_S": "max_audio_s",
    "WHISPER_MAX_PAYLOAD_BYTES": "max_payload_bytes",
    "WHISPER_PIPELINE": "pipeline",
    "WHISPER_BATCH_SIZE": "batch_size",
    "WHISPER_MIN_PARTIAL_CONFIDENCE": "min_partial_confidence",
    "WHISPER_PARTIAL_TAIL_PROBABILITY": "partial_tail_probability",
    "WHISPER_MIN_SAMPLE_RATE": "min_sample_rate",
    "WHISPER_MAX_SAMPLE_RATE": "max_sample_rate",
    "WHISPER_MAX_CHANNELS": "max_channels",
    "WHISPER_MAX_TEMPERATURES": "max_temperatures",
    "WHISPER_DECODE_BUDGET_S": "decode_budget_s",
    "WHISPER_BODY_TIMEOUT_S": "body_timeout_s",
    "WHISPER_IDLE_TIMEOUT_S": "idle_timeout_s",
    "WHISPER_MAX_READING": "max_reading",
    "WHISPER_SHUTDOWN_GRACE_S": "shutdown_grace_s",
    "WHISPER_MAX_STREAMS": "max_streams",
    "WHISPER_STREAM_IDLE_S": "stream_idle_s",
    "WHISPER_MAX_STREAM_S": "max_stream_s",
    "WHISPER_MAX_FRAME_BYTES": "max_frame_bytes",
    "WHISPER_STREAM_MAX_BUFFER_S": "stream_max_buffer_s",
    "WHISPER_S3_ALLOWED_BUCKETS": "s3_allowed_buckets",
    "WHISPER_S3_MAX_BYTES": "s3_max_bytes",
    "WHISPER_S3_CONNECT_TIMEOUT_S": "s3_connect_timeout_s",
    "WHISPER_S3_READ_TIMEOUT_S": "s3_read_timeout_s",
    "WHISPER_S3_MAX_ATTEMPTS": "s3_max_attempts",
}
# WHISPER_MIN_PARTIAL_CONFIDENCE's default per model, measured with bench.partial_policies on
# LCA's partials of the whole speech corpus (bench/RESULTS.md). A model is known by the sha256
# of its CTranslate2 config.json, the Hugging Face Hub's file that builder/pins.json pins too;
# any other model gets PARTIAL_CONFIDENCE.
PARTIAL_CONFIDENCE = 0.7
# WHISPER_PARTIAL_TAIL_PROBABILITY's default, the same for tiny.en and base: chosen on the
# even-numbered utterances of the speech corpus (bench/RESULTS.md); against agreement alone
# (every utterance), 8-11 % more words shown and the p50 delay from a word's end to its first
# showing 0.3-0.4 s shorter, for as many phantom partials (21 -> 21 of tiny.en's, 21 -> 22 of
# base's). 0.6-0.8 tied on phantoms there and showed more words, but 0.6 cost 4-5 more phantoms
# on the odd-numbered utterances.
PARTIAL_TAIL_PROBABILITY = 0.9
PARTIAL_CONFIDENCE_BY_MODEL = {
    "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5": 0.7,  # tiny.en
    "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a": 0.8,  # base
}


@dataclass(frozen=True)
class ServingConfig:
    """How the endpoint runs and what one request may cost (defaults and reasons: README).

    ``device`` and ``compute_type`` keep ``auto`` / ``""`` until :meth:`resolved` picks
    them for the hardware at model load.
    """

    device: str = "auto"
    compute_type: str = ""
    cpu_threads: int = 0  # 0: the cores available to the process
    workers: int = 1
    max_queue: int = 8
    short_window: bool = True
    window_margin_s: float = 6.0
    window_fill: str = "floor"
    max_audio_s: float = 120.0
    min_sample_rate: int = 8000
    max_sample_rate: int = 48000
    max_channels: int = 2
    max_temperatures: int = 6
    decode_budget_s: float = 30.0
    body_timeout_s: float = 10.0
    idle_timeout_s: float = 5.0
    max_reading: int = 16
    shutdown_grace_s: float = 20.0
    s3_allowed_buckets: frozenset[str] = field(default_factory=frozenset)
    s3_max_bytes: int = 24 << 20
    s3_connect_timeout_s: float = 2.0
    s3_read_timeout_s: float = 5.0
    s3_max_attempts: int = 2
    max_payload_bytes: int = 6 * 1024 * 1024  # SageMaker real-time's request limit; async allows 1 GB
    pipeline: str = "auto"  # recordings (over a minute): batched on a GPU, sequential on CPU
    batch_size: int = 8
    # the default of the request parameter: LCA cannot send it, so a deployment sets it here;
    # None: the model's measured default (for_model)
    min_partial_confidence: float | None = None
    # a partial's unconfirmed words shown after the agreed ones need this probability (cut_word); 1: none
    partial_tail_probability: float = PARTIAL_TAIL_PROBABILITY
    # streaming sessions (stream_route.py)
    max_streams: int = 4  # streaming sessions at once; each decodes about once a second while its caller speaks
    stream_idle_s: float = 10.0  # Deepgram's: no audio and no KeepAlive for this long closes the stream
    max_stream_s: float = 1800.0  # one session's length (Deepgram documents 30 minutes)
    max_frame_bytes: int = 256 << 10  # one WebSocket message; 8 s of 16 kHz 16-bit mono
    stream_max_buffer_s: float = 45.0  # audio of one channel awaiting its final: past it decoding has fallen behind

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServingConfig:
        """Read every ``WHISPER_*`` variable (unset or empty: the default).

        Raises:
            ValueError: a value of the wrong type or out of range, naming the variable.
        """
        env = _Env(os.environ if environ is None else environ)
        d = cls()
        return cls(
            device=env.choice("WHISPER_DEVICE", d.device, ("auto", "cpu", "cuda")),
            compute_type=env.text("WHISPER_COMPUTE_TYPE", d.compute_type),
            cpu_threads=env.integer("WHISPER_CPU_THREADS", d.cpu_threads, 1),
            workers=env.integer("WHISPER_WORKERS", d.workers, 1),
            max_queue=env.integer("WHISPER_MAX_QUEUE", d.max_queue, 0),
            short_window=env.choice("WHISPER_ENCODER_WINDOW", "audio", ("audio", "30s")) == "audio",
            window_margin_s=env.number("WHISPER_WINDOW_MARGIN_S", d.window_margin_s, 0, 30),
            window_fill=env.choice("WHISPER_WINDOW_FILL", d.window_fill, ("floor", "zero")),
            max_audio_s=env.number("WHISPER_MAX_AUDIO_S", d.max_audio_s, 1, 24 * 3600),
            min_sample_rate=env.integer("WHISPER_MIN_SAMPLE_RATE", d.min_sample_rate, 1000),
            max_sample_rate=env.integer("WHISPER_MAX_SAMPLE_RATE", d.max_sample_rate, 1000, 768000),
            max_channels=env.integer("WHISPER_MAX_CHANNELS", d.max_channels, 1, 64),
            max_temperatures=env.integer("WHISPER_MAX_TEMPERATURES", d.max_temperatures, 1, 100),
            decode_budget_s=env.number("WHISPER_DECODE_BUDGET_S", d.decode_budget_s, 1, 3600),
            body_timeout_s=env.number("WHISPER_BODY_TIMEOUT_S", d.body_timeout_s, 0.1, 3600),
            idle_timeout_s=env.number("WHISPER_IDLE_TIMEOUT_S", d.idle_timeout_s, 0.1, 3600),
            max_reading=env.integer("WHISPER_MAX_READING", d.max_reading, 1),
            shutdown_grace_s=env.number("WHISPER_SHUTDOWN_GRACE_S", d.shutdown_grace_s, 0, 3600),
            max_streams=env.integer("WHISPER_MAX_STREAMS", d.max_streams, 0, 1024),
            stream_idle_s=env.number("WHISPER_STREAM_IDLE_S", d.stream_idle_s, 0.1, 3600),
            max_stream_s=env.number("WHISPER_MAX_STREAM_S", d.max_stream_s, 1, 24 * 3600),
            max_frame_bytes=env.integer("WHISPER_MAX_FRAME_BYTES", d.max_frame_bytes, 64, 64 << 20),
            stream_max_buffer_s=env.number("WHISPER_STREAM_MAX_BUFFER_S", d.stream_max_buffer_s, 30, 55),
            s3_allowed_buckets=frozenset(b.strip() for b in env.text("WHISPER_S3_ALLOWED_BUCKETS", "").split(",")
                                         if b.strip()),
            s3_max_bytes=env.integer("WHISPER_S3_MAX_BYTES", d.s3_max_bytes, 1),
            s3_connect_timeout_s=env.number("WHISPER_S3_CONNECT_TIMEOUT_S", d.s3_connect_timeout_s, 0.1, 300),
            s3_read_timeout_s=env.number("WHISPER_S3_READ_TIMEOUT_S", d.s3_read_timeout_s, 0.1, 300),
            s3_max_attempts=env.integer("WHISPER_S3_MAX_ATTEMPTS", d.s3_max_attempts, 1, 10),
            max_payload_bytes=env.integer("WHISPER_MAX_PAYLOAD_BYTES", d.max_payload_bytes, 1024, 1 << 30),
            pipeline=env.choice("WHISPER_PIPELINE", d.pipeline, PIPELINES),
            batch_size=env.integer("WHISPER_BATCH_SIZE", d.batch_size, 1, 256),
            min_partial_confidence=env.number("WHISPER_MIN_PARTIAL_CONFIDENCE", d.min_partial_confidence, 0, 1),
            partial_tail_probability=env.number("WHISPER_PARTIAL_TAIL_PROBABILITY", d.partial_tail_probability, 0, 1),
        ).checked()

    def checked(self) -> ServingConfig:
        """Raise ValueError when two settings contradict each other."""
        if self.min_sample_rate > self.max_sample_rate:
            raise ValueError("WHISPER_MIN_SAMPLE_RATE must not exceed WHISPER_MAX_SAMPLE_RATE")
        return self

    def resolved(self) -> ServingConfig:
        """Pick ``auto`` device, default compute type and thread count for this machine.

        Raises:
            ValueError: the compute type is not supported on the device.
        """
        import ctranslate2

        device = self.device
        if device == "auto":
            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        compute_type = self.compute_type or ("float16" if device == "cuda" else "int8")
        supported = ctranslate2.get_supported_compute_types(device)
        if compute_type not in supported and compute_type not in ("default", "auto"):
            raise ValueError(f"WHISPER_COMPUTE_TYPE {compute_type!r} is not supported on {device}: "
                             f"{', '.join(sorted(supported))}")
        return dataclasses.replace(self, device=device, compute_type=compute_type,
                                   cpu_threads=self.cpu_threads or _cores())

    def for_model(self, model_dir: str | Path) -> ServingConfig:
        """This configuration with the defaults that depend on the model in ``model_dir`` filled in."""
        if self.min_partial_confidence is not None:
            return self
        return dataclasses.replace(self, min_partial_confidence=model_partial_confidence(model_dir))

    @property
    def partial_confidence(self) -> float:
        """``min_partial_confidence``, or the default for models not measured when no model is known."""
        return PARTIAL_CONFIDENCE if self.min_partial_confidence is None else self.min_partial_confidence

    @property
    def margin_frames(self) -> int | None:
        """The short encoder window's margin in 10 ms frames, or None for the fixed 30 s window."""
        return round(self.window_margin_s * 100) if self.short_window else None


def model_partial_confidence(model_dir: str | Path) -> float:
    """The measured ``min_partial_confidence`` default of the model in ``model_dir``."""
    try:
        digest = hashlib.sha256((Path(model_dir) / "config.json").read_bytes()).hexdigest()
    except OSError:
        return PARTIAL_CONFIDENCE
    return PARTIAL_CONFIDENCE_BY_MODEL.get(digest, PARTIAL_CONFIDENCE)


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class _Env:
    """Typed reads with one error style: ``NAME must be ..., not 'value'``."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def text(self, name: str, default: str) -> str:
        return self._environ.get(name, "").strip() or default

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.text(name, default).lower()
        if value not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
        return value

    def integer(self, name: str, default: int, low: int, high: int | None = None) -> int:
        raw = self.text(name, "")
        if not raw:
            return default
        if not raw.isdigit() or int(raw) < low or (high is not None and int(raw) > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ValueError(f"{name} must be an integer {bound}, not {raw!r}")
        return int(raw)

    def number(self, name: str, default: float, low: float, high: float) -> float:
        raw = self.text(name, "")
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not low <= value <= high:  # also false for nan
            raise ValueError(f"{name} must be a number between {low:g} and {high:g}, not {raw!r}")
        return value
