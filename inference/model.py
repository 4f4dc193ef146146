"""Load the Whisper model for serving: device, compute type, threads, and a warm-up.

:class:`ServingWhisperModel` is faster-whisper's ``WhisperModel`` with three changes, each
active only inside :func:`request_scope` in the calling thread:

* the encoder sees only the audio that is really there plus a margin, instead of
  faster-whisper's fixed 30 s window (CTranslate2 accepts the shorter input; on a 3 s
  utterance the encoder then does a tenth of the work, see ``inference/README.md``);
* every encoder and decoder call first checks the request's deadline and whether it was
  cancelled (client gone, server stopping), so abandoned or runaway work stops within one
  call instead of running to the end;
* the previous-text part of the prompt is cut (oldest tokens first) so that prompt plus
  the new-token budget always fit the decoder's 448-token context.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel

from .config import ServingConfig
from .cuda_libs import ensure_cuda_libraries
from .errors import ClientError

logger = logging.getLogger(__name__)

MODEL_FILES = ("config.json", "model.bin")
_FULL_WINDOW_FRAMES = 3000  # faster-whisper's padded 30 s window, in 10 ms mel frames
_MIN_WINDOW_FRAMES = 100
CONTEXT_TOKENS = 448  # Whisper's decoder context: prompt + generated tokens
MAX_PROMPT_TOKENS = CONTEXT_TOKENS // 2 - 1  # the prompt's half, as Whisper and faster-whisper cut it
_scope = threading.local()


class BudgetExceeded(ClientError):
    """Decoding this request would take longer than ``WHISPER_DECODE_BUDGET_S``."""

    status = 413


class Cancelled(Exception):
    """The request's client went away, or the server is stopping: its result is not wanted."""


@dataclass
class RequestScope:
    """What one transcription may use: encoder margin and fill, a deadline, a cancel flag."""

    margin_frames: int | None = None
    fill: str = "floor"
    deadline: float = float("inf")
    budget_s: float = 0.0
    cancelled: threading.Event = field(default_factory=threading.Event)
    longest_call_s: float = 0.0  # the slowest decoder call so far: the next may take as long

    def check(self) -> None:
        if self.cancelled.is_set():
            raise Cancelled("request cancelled")
        # stop before a call that would likely end past the deadline, not after it
        if time.monotonic() + self.longest_call_s > self.deadline:
            raise BudgetExceeded(f"decoding needed more than the per-request budget of {self.budget_s:g} s "
                                 "(WHISPER_DECODE_BUDGET_S): send shorter audio, fewer temperatures or a "
                                 "smaller beam_size")


class _GuardedDecoder:
    """The CTranslate2 model, with the request scope checked before each generate call
    (one call per window and temperature: the unit of work that can be refused)."""

    def __init__(self, model) -> None:
        self._model = model

    def generate(self, *args, **kwargs):
        scope = getattr(_scope, "current", None)
        if scope is None:
            return self._model.generate(*args, **kwargs)
        scope.check()
        start = time.monotonic()
        try:
            return self._model.generate(*args, **kwargs)
        finally:
            scope.longest_call_s = max(scope.longest_call_s, time.monotonic() - start)

    def __getattr__(self, name):
        return getattr(self._model, name)


class ServingWhisperModel(WhisperModel):
    """``WhisperModel`` with a short encoder window, a per-request guard and a prompt that fits."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.model = _GuardedDecoder(self.model)

    def encode(self, features: np.ndarray) -> ctranslate2.StorageView:
        scope = getattr(_scope, "current", None)
        if scope is not None:
            scope.check()
            if scope.margin_frames is not None and features.shape[-1] == _FULL_WINDOW_FRAMES:
                features = _short_window(features, scope.margin_frames, scope.fill)
        return super().encode(features)

    def generate_with_fallback(self, encoder_output, prompt, tokenizer, options):
        room = options.max_new_tokens or CONTEXT_TOKENS // 2
        excess = len(prompt) + room - CONTEXT_TOKENS
        if excess > 0 and prompt and prompt[0] == tokenizer.sot_prev:
            # [sot_prev, hotwords..., previous text..., sot sequence...]: drop the oldest previous text
            hotwords = len(tokenizer.encode(" " + options.hotwords.strip())) if options.hotwords else 0
            start = 1 + min(hotwords, MAX_PROMPT_TOKENS)
            previous = prompt.index(tokenizer.sot, start) - start if tokenizer.sot in prompt[start:] else 0
            cut = min(excess, previous)
            prompt = prompt[:start] + prompt[start + cut:]
        return super().generate_with_fallback(encoder_output, prompt, tokenizer, options)


def prompt_tokens(model: WhisperModel, text: str) -> int:
    """How many tokens faster-whisper's prompt spends on ``text`` (initial prompt or hotwords)."""
    return len(model.hf_tokenizer.encode(" " + text.strip(), add_special_tokens=False).ids)


def _short_window(features: np.ndarray, margin: int, fill: str = "floor") -> np.ndarray:
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
    if content and fill == "floor":
        window[..., content:] = features[..., :content].min()
    return window


@contextlib.contextmanager
def request_scope(scope: RequestScope | None) -> Iterator[RequestScope | None]:
    """Within this block (this thread only), the model obeys ``scope``.

    Segments are generated lazily, so materialise them inside the block.
    """
    previous = getattr(_scope, "current", None)
    _scope.current = scope
    try:
        yield scope
    finally:
        _scope.current = previous


def encoder_window(margin_frames: int | None, fill: str = "floor"):
    """A scope that only sets the encoder window (``None``: faster-whisper's 30 s window)."""
    return request_scope(RequestScope(margin_frames, fill))


def load_model(model_dir: str | Path, config: ServingConfig | None = None,
               warm_up: bool = True) -> ServingWhisperModel:
    """Load a CTranslate2 Whisper model directory and run one warm-up transcription.

    Raises:
        FileNotFoundError: ``model_dir`` holds no CTranslate2 model.
        ValueError: a compute type the device does not support.
        CudaLibraryError: a GPU is visible but cuBLAS/cuDNN cannot be loaded.
    """
    path = Path(model_dir)
    missing = [name for name in MODEL_FILES if not (path / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{path} is not a CTranslate2 Whisper model (missing {', '.join(missing)})")
    config = (config or ServingConfig()).resolved()
    # Before the model touches the GPU: images that ship cuBLAS/cuDNN only as pip packages
    # need them preloaded, and a missing library should fail here with one clear line.
    ensure_cuda_libraries(config.device)
    start = time.perf_counter()
    model = ServingWhisperModel(str(path), device=config.device, compute_type=config.compute_type,
                                cpu_threads=config.cpu_threads, num_workers=config.workers)
    logger.info("loaded %s on %s (%s, %d threads, %d workers) in %.1f s", path, config.device,
                config.compute_type, config.cpu_threads, config.workers, time.perf_counter() - start)
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
