"""A probe handler: how short can the encoder window be before Whisper's accuracy breaks?

faster-whisper pads every window to 30 s before the encoder, so a 2 s LCA partial costs
as much encoder time as a 30 s one. CTranslate2 accepts a shorter input; this module
exposes the window as request parameters so ``--sweep --ours bench.window_probe``
can measure latency and WER of each choice on LCA's workload before the real handler
commits to one. It is a measuring tool, not a product: it swaps faster-whisper's
``pad_or_trim`` for the duration of a call, so it must only be driven by one caller.

Request ``parameters`` it understands on top of LCA's (``language``, ``beam_size``,
``temperature``): ``vad_filter``, ``without_timestamps``, ``window`` (``"pad30"`` — the
default — or ``"audio"``: the audio's length plus ``extra_s`` seconds, at least ``min_s``),
``fallback_tokens_per_s`` (redo the request with the 30 s window when the short one
produced more than ``12 + rate * seconds`` tokens, the signature of a repetition loop).
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
import wave

import faster_whisper.transcribe as fw_transcribe
import numpy as np
from faster_whisper import WhisperModel

_PATCH_LOCK = threading.Lock()
_FRAMES_PER_S = 100  # Whisper's mel features: one frame per 10 ms


def model_fn(model_dir: str) -> WhisperModel:
    return WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=2)


def input_fn(body: bytes, content_type: str) -> tuple[np.ndarray, dict]:
    if content_type != "application/json":
        raise ValueError("application/json only")
    data = json.loads(body)
    with wave.open(io.BytesIO(bytes(data["audio_input"]))) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return pcm.astype(np.float32) / 32768.0, data.get("parameters", {})


@contextlib.contextmanager
def _window(extra_frames: int, min_frames: int):
    """Make faster-whisper pad each window only to its content plus ``extra_frames``."""
    original = fw_transcribe.pad_or_trim

    def pad_to_content(array, length: int = 3000, *, axis: int = -1):
        target = min(length, max(array.shape[axis] + extra_frames, min_frames))
        return original(array, target + target % 2, axis=axis)  # the encoder's conv has stride 2

    with _PATCH_LOCK:
        fw_transcribe.pad_or_trim = pad_to_content
        try:
            yield
        finally:
            fw_transcribe.pad_or_trim = original


def _transcribe(audio: np.ndarray, p: dict, model: WhisperModel, short: bool) -> tuple[str, int]:
    window = (
        _window(int(p.get("extra_s", 0) * _FRAMES_PER_S), int(p.get("min_s", 0) * _FRAMES_PER_S))
        if short else contextlib.nullcontext()
    )
    with window:
        segments, _ = model.transcribe(
            audio,
            language=p.get("language"),
            beam_size=p.get("beam_size", 5),
            temperature=p.get("temperature", 0.0),
            vad_filter=p.get("vad_filter", False),
            without_timestamps=p.get("without_timestamps", False),
        )
        segments = list(segments)  # decoding happens here, inside the patched window
    return " ".join(s.text.strip() for s in segments), sum(len(s.tokens) for s in segments)


def predict_fn(data: tuple[np.ndarray, dict], model: WhisperModel) -> dict:
    audio, p = data
    short = p.get("window", "pad30") == "audio"
    text, tokens = _transcribe(audio, p, model, short)
    rate = p.get("fallback_tokens_per_s")
    fell_back = bool(short and rate and tokens > 12 + rate * len(audio) / 16000)
    if fell_back:
        text, tokens = _transcribe(audio, p, model, False)
    return {"text": text, "fell_back": fell_back}


def output_fn(prediction: dict, accept: str) -> str:
    return json.dumps(prediction)
