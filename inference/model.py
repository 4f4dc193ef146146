"""Load the Whisper model for serving: device, compute type, threads, and a warm-up.

:class:`ServingWhisperModel` is faster-whisper's ``WhisperModel`` with one change: while
:func:`encoder_window` is active in the calling thread, the encoder sees only the audio
that is really there plus a margin, instead of faster-whisper's fixed 30 s window.
CTranslate2 accepts the shorter input; on a 3 s utterance the encoder then does a tenth
of the work (measurements in ``inference/README.md``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel

logger = logging.getLogger(__name__)

MODEL_FILES = ("config.json", "model.bin")
_FULL_WINDOW_FRAMES = 3000  # faster-whisper's padded 30 s window, in 10 ms mel frames
_MIN_WINDOW_FRAMES = 100
_window = threading.local()


@dataclass(frozen=True)
class ModelConfig:
    """How to run the model; every field has an environment override (see README)."""

    device: str
    compute_type: str
    cpu_threads: int
    num_workers: int

    @classmethod
    def from_env(cls, environ: os._Environ | dict | None = None) -> ModelConfig:
        """``WHISPER_DEVICE`` (auto|cpu|cuda), ``WHISPER_COMPUTE_TYPE``, ``WHISPER_CPU_THREADS``,
        ``WHISPER_WORKERS``; ``auto`` picks CUDA float16 when a GPU is visible, else CPU int8.

        Raises:
            ValueError: an override is not a valid value.
        """
        env = os.environ if environ is None else environ
        device = env.get("WHISPER_DEVICE", "auto").strip().lower() or "auto"
        if device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"WHISPER_DEVICE must be auto, cpu or cuda, not {device!r}")
        if device == "auto":
            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        compute_type = env.get("WHISPER_COMPUTE_TYPE", "").strip() or ("float16" if device == "cuda" else "int8")
        supported = ctranslate2.get_supported_compute_types(device)
        if compute_type not in supported and compute_type not in ("default", "auto"):
            raise ValueError(f"WHISPER_COMPUTE_TYPE {compute_type!r} is not supported on {device}: "
                             f"{', '.join(sorted(supported))}")
        return cls(device, compute_type, _positive_int(env, "WHISPER_CPU_THREADS", _cores()),
                   _positive_int(env, "WHISPER_WORKERS", 1))


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _positive_int(env, name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a positive integer, not {raw!r}")
    return int(raw)


class ServingWhisperModel(WhisperModel):
    """``WhisperModel`` whose encoder can skip the zero padding of the 30 s window."""

    def encode(self, features: np.ndarray) -> ctranslate2.StorageView:
        margin = getattr(_window, "margin_frames", None)
        if margin is not None and features.shape[-1] == _FULL_WINDOW_FRAMES:
            features = _short_window(features, margin)
        return super().encode(features)


def _short_window(features: np.ndarray, margin: int) -> np.ndarray:
    """The window cut to its content plus ``margin`` frames of silence.

    faster-whisper pads the mel features with exact zeros (real log-mel columns are never
    all zero, so the padding is easy to find). Whisper was trained on audio padded with
    digital silence, whose log-mel is the clamped floor, not zero: the margin is filled
    with that floor so the decoder sees the utterance end in silence, as in training.
    """
    columns = np.flatnonzero(np.any(features != 0, axis=tuple(range(features.ndim - 1))))
    content = int(columns[-1]) + 1 if columns.size else 0
    frames = min(_FULL_WINDOW_FRAMES, max(content + margin, _MIN_WINDOW_FRAMES))
    frames += frames % 2  # the encoder's first convolution has stride 2
    window = np.array(features[..., :frames])
    if content and _window_fill() == "floor":
        window[..., content:] = features[..., :content].min()
    return window


def _window_fill() -> str:
    return os.environ.get("WHISPER_WINDOW_FILL", "floor")


@contextlib.contextmanager
def encoder_window(margin_frames: int | None) -> Iterator[None]:
    """Within this block (this thread only), encode content + ``margin_frames`` frames.

    ``None`` keeps faster-whisper's full 30 s window. Segments are generated lazily, so
    materialise them inside the block.
    """
    previous = getattr(_window, "margin_frames", None)
    _window.margin_frames = margin_frames
    try:
        yield
    finally:
        _window.margin_frames = previous


def load_model(model_dir: str | Path, config: ModelConfig | None = None, warm_up: bool = True) -> ServingWhisperModel:
    """Load a CTranslate2 Whisper model directory and run one warm-up transcription.

    Raises:
        FileNotFoundError: ``model_dir`` holds no CTranslate2 model.
        ValueError: a bad environment override.
    """
    path = Path(model_dir)
    missing = [name for name in MODEL_FILES if not (path / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{path} is not a CTranslate2 Whisper model (missing {', '.join(missing)})")
    config = config or ModelConfig.from_env()
    if _window_fill() not in ("floor", "zero"):
        raise ValueError(f"WHISPER_WINDOW_FILL must be 'floor' or 'zero', not {_window_fill()!r}")
    start = time.perf_counter()
    model = ServingWhisperModel(str(path), device=config.device, compute_type=config.compute_type,
                                cpu_threads=config.cpu_threads, num_workers=config.num_workers)
    logger.info("loaded %s on %s (%s, %d threads, %d workers) in %.1f s", path, config.device,
                config.compute_type, config.cpu_threads, config.num_workers, time.perf_counter() - start)
    if warm_up:
        warm(model)
    return model


def warm(model: WhisperModel) -> None:
    """One short transcription so the first real request pays no allocator/kernel set-up."""
    start = time.perf_counter()
    noise = np.random.default_rng(0).normal(0, 0.01, 16000).astype(np.float32)
    for window in (None, 0):
        with encoder_window(window):
            segments, _ = model.transcribe(noise, language="en", beam_size=5, without_timestamps=True)
            list(segments)
    logger.info("warm-up took %.2f s", time.perf_counter() - start)
