"""Run one transcription and build the response body LCA and other clients read.

Response (the LCA contract in ``inference/README.md``): the original's keys ``text`` (trimmed, single-spaced,
always present), ``language`` and ``segments`` (10 keys each), plus ``duration`` (seconds
of audio received), ``words`` inside each segment when ``word_timestamps`` is on, and a
top-level ``no_speech_prob`` only when ``return_no_speech_prob`` asks for it.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time

from faster_whisper import WhisperModel

from .codecs import DecodedRequest
from .config import ServingConfig
from .cut_word import agree, ends_in_speech, hold_back, hypothesis, unsure
from .errors import ClientError, Overloaded
from .long_audio import pipeline_for, transcribe_blocks
from .model import CONTEXT_TOKENS, MAX_PROMPT_TOKENS, RequestScope, prompt_tokens, request_scope
from .parameters import Parameters
from .partial_memory import PartialMemory

logger = logging.getLogger(__name__)

# A window shorter than 30 s can, rarely, send the decoder into a loop; these are the
# signs of one, after which the request is decoded again with the full window.
_MAX_COMPRESSION_RATIO = 2.4
# Nothing decoded from at least this much speech (after VAD, pads included) is a short
# window's miss, not silence: decoded again with the full window (see _lost_speech).
_MIN_LOST_SPEECH_S = 1.0
# faster-whisper's own VAD settings for transcribe(), plus Silero's minimum speech length:
# LCA's 1 s partial timer is not aligned with utterance starts, so a partial can carry
# 0.1 s of audio, on which Whisper invents "Thank you very much." No word fits in 250 ms.
_VAD_OPTIONS = {"min_silence_duration_ms": 160, "min_speech_duration_ms": 250}
_BASE_TOKENS, _TOKENS_PER_S = 12, 6
# Longer than any request LCA can send (6 MB of its JSON holds ~50 s): a recording, which
# goes through long_audio's blocks and the configured pipeline instead of the live path.
LONG_AUDIO_S = 60.0
_WORD = re.compile(r"[\w']+")


def transcribe(model: WhisperModel, request: DecodedRequest, params: Parameters,
               config: ServingConfig | None = None, cancelled: threading.Event | None = None,
               received: float | None = None, memory: PartialMemory | None = None) -> dict:
    """Transcribe ``request.audio`` within ``config``'s decoding budget; the response body as a dict.

    The budget counts from ``received`` (when the request was admitted; default now), so
    time spent waiting for a worker counts too and every answer leaves within it.
    ``memory`` holds the live utterances' last hypotheses: a partial agrees with its
    previous one where it is there (``cut_word``). Finals leave it alone: they answer in
    full, and what their utterance left ages out of the bounded memory.

    Raises:
        ClientError: prompt and hotwords too long for the decoder (400), the budget ran
            out while decoding (413) or while waiting for a worker (503).
        Cancelled: ``cancelled`` was set (the client went away, the server is stopping).
    """
    config = config or ServingConfig()
    check_prompt(model, params)
    deadline = (time.monotonic() if received is None else received) + config.decode_budget_s
    if time.monotonic() > deadline:
        raise Overloaded(f"the request waited longer than the per-request budget of {config.decode_budget_s:g} s "
                         "(WHISPER_DECODE_BUDGET_S) for a worker; retry later")
    scope = RequestScope(config.margin_frames, config.window_fill, deadline, config.decode_budget_s,
                         cancelled or threading.Event())
    if request.seconds > LONG_AUDIO_S:
        return _transcribe_recording(model, request, params, scope, config)
    cut = params.hold_back_cut_word and ends_in_speech(request.audio)
    decoding = dataclasses.replace(params, word_timestamps=True) if cut else params  # hold_back needs the timings
    segments, info = _run(model, request, decoding, scope)
    if config.short_window and (_looks_like_a_loop(segments, request.seconds) or _lost_speech(segments, info)):
        logger.info("short encoder window %s on %.1f s of audio; decoding with the 30 s window",
                    "lost the speech" if not segments else "looped", request.seconds)
        scope.margin_frames = None  # same deadline: the retry spends what is left of the budget
        segments, info = _run(model, request, decoding, scope)
    if cut:
        segments = _live_words(model, request, segments, params, memory, config.partial_tail_probability)
    return build_response(segments, info.language, request.seconds, params)


def _live_words(model: WhisperModel, request: DecodedRequest, segments: list, params: Parameters,
                memory: PartialMemory | None, tail_probability: float) -> list:
    """A partial's segments cut to what LCA should show live (``cut_word``'s policy)."""
    previous = memory.previous(request.audio) if memory is not None else None
    if memory is not None:
        memory.remember(request.audio, hypothesis(segments))
    if not segments:
        return segments
    if previous is not None:
        segments = agree(segments, previous, model.hf_tokenizer.decode, request.seconds, tail_probability)
    else:
        segments = hold_back(segments, model.hf_tokenizer.decode, request.seconds)
    if unsure(segments, params.min_partial_confidence):
        logger.debug("unsure partial of %.1f s left empty", request.seconds)
        return []
    return segments


def check_prompt(model: WhisperModel, params: Parameters) -> None:
    """initial_prompt + hotwords must fit the prompt half of the decoder's context (223 tokens).

    Raises:
        ClientError: they do not (400); the message gives the count.
    """
    texts = [t for t in (params.initial_prompt, params.hotwords) if t and t.strip()]
    if not texts:
        return
    used = sum(prompt_tokens(model, t) for t in texts)
    if used > MAX_PROMPT_TOKENS:
        raise ClientError(f"'initial_prompt' and 'hotwords' take {used} tokens together; the decoder's prompt "
                          f"holds at most {MAX_PROMPT_TOKENS} (half of its {CONTEXT_TOKENS}-token context)")


def _transcribe_recording(model: WhisperModel, request: DecodedRequest, p: Parameters, scope: RequestScope,
                          config: ServingConfig) -> dict:
    """A recording: block by block through the configured pipeline, no live-path retries or hold-back."""
    name, run = pipeline_for(model, config.pipeline, model.model.device, config.batch_size)
    with request_scope(scope):
        segments, info = transcribe_blocks(run, request.audio, **_options(p, request.seconds))
    logger.info("%.0f s recording transcribed with the %s pipeline", request.seconds, name)
    return build_response(segments, info.language, request.seconds, p)


def _options(p: Parameters, seconds: float) -> dict:
    """faster-whisper's transcribe() options for these parameters."""
    return dict(
        language=p.language,
        task=p.task,
        temperature=list(p.temperature) if isinstance(p.temperature, tuple) else p.temperature,
        beam_size=p.beam_size,
        no_speech_threshold=p.no_speech_threshold,
        initial_prompt=p.initial_prompt,
        hotwords=p.hotwords,
        vad_filter=p.vad_filter,
        vad_parameters=dict(_VAD_OPTIONS),
        word_timestamps=p.word_timestamps,
        condition_on_previous_text=p.condition_on_previous_text,
        without_timestamps=p.without_timestamps and not p.word_timestamps,
        max_new_tokens=_token_budget(seconds),
    )


def _run(model: WhisperModel, request: DecodedRequest, p: Parameters, scope: RequestScope):
    # A loop is cut off at the budget instead of running to Whisper's 448 tokens: with the
    # short window it is then caught by _looks_like_a_loop; with the 30 s window (the
    # fallback) it still bounds the request, since LCA waits for each answer and one
    # 5-8 s request lags every later transcript of the call. faster-whisper applies the
    # budget per window, so longer audio gets a full window's (192 tokens, more than 30 s
    # of speech needs): it also bounds the one decoder call the deadline cannot interrupt.
    with request_scope(scope):
        generator, info = model.transcribe(request.audio, **_options(p, request.seconds))
        return list(generator), info  # faster-whisper decodes lazily: here, inside the window


def _token_budget(seconds: float) -> int:
    """More tokens than real speech of this length produces (timestamps included), capped at one window's."""
    return int(_BASE_TOKENS + _TOKENS_PER_S * min(seconds, 30.0))


def _looks_like_a_loop(segments: list, seconds: float) -> bool:
    if seconds <= 30 and sum(len(s.tokens) for s in segments) >= _token_budget(seconds):
        return True
    if any(s.compression_ratio > _MAX_COMPRESSION_RATIO for s in segments):
        return True
    return has_stutter(_WORD.findall(" ".join(s.text for s in segments).lower()))


def _lost_speech(segments: list, info) -> bool:
    """No text although the audio (what VAD kept of it) holds a second or more of speech.

    Measured on LCA's calls: short turns ("five five") decoded in the short window can
    come out with a low ``avg_logprob`` and a ``no_speech_prob`` above LCA's threshold of
    0.2, so faster-whisper's silence filter drops them and the final is lost; the 30 s
    window decodes them with confidence. VAD (on by default) has already answered for
    silence, so this costs a second decode only on such misses.
    """
    return not segments and info.duration_after_vad >= _MIN_LOST_SPEECH_S


def has_stutter(words: list[str]) -> bool:
    """A phrase of 2+ words said twice back to back, or one word three times.

    The short window's typical failure ("ten of course ten of course", "5 5 5 5"); rare
    enough in real speech that re-decoding those requests with the 30 s window is cheap.
    """
    n = len(words)
    for i in range(n - 2):
        if words[i] == words[i + 1] == words[i + 2]:
            return True
    for size in range(2, n // 2 + 1):
        for i in range(n - 2 * size + 1):
            if words[i:i + size] == words[i + size:i + 2 * size]:
                return True
    return False


def build_response(segments: list, language: str, seconds: float, params: Parameters) -> dict:
    """The response body: original keys first, then the additions."""
    text = " ".join(" ".join(s.text for s in segments).split())
    body: dict = {"text": text, "language": language}
    if params.include_segments:
        # faster-whisper skips an id where it drops a segment: number what is sent 1..N instead
        body["segments"] = [_segment(s, number, params.word_timestamps) for number, s in enumerate(segments, 1)]
    body["duration"] = round(seconds, 3)
    if params.return_no_speech_prob:
        # The utterance is speech if any segment is: LCA drops the text above its threshold.
        body["no_speech_prob"] = min((s.no_speech_prob for s in segments), default=1.0)
    return body


def _segment(s, number: int, with_words: bool) -> dict:
    row = {
        "id": number,
        "seek": s.seek,
        "start": round(s.start, 3),
        "end": round(s.end, 3),
        "text": s.text,
        "tokens": list(s.tokens),
        "temperature": s.temperature,
        "avg_logprob": s.avg_logprob,
        "compression_ratio": s.compression_ratio,
        "no_speech_prob": s.no_speech_prob,
    }
    if with_words:
        row["words"] = [
            {"start": round(w.start, 3), "end": round(w.end, 3), "word": w.word, "probability": w.probability}
            for w in (s.words or [])
        ]
    return row

