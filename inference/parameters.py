"""Request ``parameters``: validated and typed, with the defaults chosen for LCA's utterances.

Unknown keys are ignored, as the original handler did, so clients that send extra
options keep working; a known key with a wrong type or range is a 400.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from faster_whisper.tokenizer import _LANGUAGE_CODES

from .config import ServingConfig
from .errors import ClientError

TASKS = ("transcribe", "translate")
MAX_BEAM_SIZE = 10
MAX_TEXT_CHARS = 2000  # initial_prompt / hotwords: tokens are checked against the model later
_DEFAULT = ServingConfig()


@dataclass(frozen=True)
class Parameters:
    """What one request asks of the model (see ``inference/README.md`` for the defaults' numbers).

    Attributes:
        language: ISO code, or ``None`` to detect it (English-only models always use "en").
        task: "transcribe" or "translate".
        temperature: one temperature, or a fallback sequence as faster-whisper takes.
        beam_size: beam width; LCA sends 5 and it is honoured.
        no_speech_threshold: faster-whisper's silence filter (``None`` switches it off).
        initial_prompt: text to condition the first window on.
        hotwords: words to bias decoding towards.
        vad_filter: run Silero VAD on the audio first (on, as in the original): LCA's utterances
            begin with up to a second of noise or silence, on which Whisper invents words
            ("Thank you very much.") that LCA shows live as partials.
        word_timestamps: add per-word timings (``words``) to segments.
        condition_on_previous_text: feed a window's text into the next one's prompt.
        without_timestamps: decode text tokens only (one segment per 30 s window).
        return_no_speech_prob: add a top-level ``no_speech_prob`` (LCA drops text above 0.2).
        include_segments: include ``segments`` in the answer (the original's option).
        hold_back_cut_word: when the audio ends in speech, leave out the last word, which the
            cut may split: LCA re-sends a growing utterance about once a second, and Whisper
            guesses at a half-said word ("10 of quotes" before "10 of clubs"), words LCA
            shows live. The next request, or the final (which ends in silence), has it.
            Switch off for recordings that should keep a last word cut by their end.
    """

    language: str | None = None
    task: str = "transcribe"
    temperature: float | tuple[float, ...] = 0.0
    beam_size: int = 5
    no_speech_threshold: float | None = 0.6
    initial_prompt: str | None = None
    hotwords: str | None = None
    vad_filter: bool = True
    word_timestamps: bool = False
    condition_on_previous_text: bool = True
    without_timestamps: bool = False
    return_no_speech_prob: bool = False
    include_segments: bool = True
    hold_back_cut_word: bool = True

    @classmethod
    def from_request(cls, raw: object, config: ServingConfig | None = None) -> Parameters:
        """Validate a request's ``parameters`` object (``config`` bounds the temperature list).

        Raises:
            ClientError: a known key has the wrong type or is out of range.
        """
        if raw is None:
            return cls()
        if not isinstance(raw, dict):
            raise ClientError("'parameters' must be a JSON object")
        known = {f.name for f in fields(cls)}
        values = {}
        for key, value in raw.items():
            if key in known and value is not None:
                values[key] = _VALIDATORS[key](key, value)
            elif key in known and key in _NULLABLE:
                values[key] = None
        limit = (config or _DEFAULT).max_temperatures
        if isinstance(values.get("temperature"), tuple) and len(values["temperature"]) > limit:
            # each temperature may decode every window again: the list multiplies the work
            raise ClientError(f"parameter 'temperature' lists {len(values['temperature'])} values; the limit is "
                              f"{limit} (WHISPER_MAX_TEMPERATURES)")
        return cls(**values)


def _bool(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ClientError(f"parameter '{key}' must be true or false, not {value!r}")
    return value


def _number(key: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ClientError(f"parameter '{key}' must be a number, not {value!r}")
    if not low <= value <= high:
        raise ClientError(f"parameter '{key}' must be between {low} and {high}, not {value!r}")
    return float(value)


def _text(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ClientError(f"parameter '{key}' must be a string, not {value!r}")
    if len(value) > MAX_TEXT_CHARS:
        raise ClientError(f"parameter '{key}' is longer than {MAX_TEXT_CHARS} characters")
    return value


def _language(key: str, value: object) -> str:
    code = _text(key, value).strip().lower()
    if code not in _LANGUAGE_CODES:
        raise ClientError(f"parameter 'language' must be a Whisper language code such as 'en', not {value!r}")
    return code


def _task(key: str, value: object) -> str:
    if value not in TASKS:
        raise ClientError(f"parameter 'task' must be one of {', '.join(TASKS)}, not {value!r}")
    return value


def _temperature(key: str, value: object) -> float | tuple[float, ...]:
    if isinstance(value, list):
        if not value:
            raise ClientError("parameter 'temperature' must not be an empty list")
        return tuple(_number(key, v, 0.0, 1.0) for v in value)
    return _number(key, value, 0.0, 1.0)


def _beam_size(key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        # JSON clients often send 5.0; accept whole floats, refuse 2.5
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ClientError(f"parameter 'beam_size' must be an integer, not {value!r}")
    if not 1 <= value <= MAX_BEAM_SIZE:
        raise ClientError(f"parameter 'beam_size' must be between 1 and {MAX_BEAM_SIZE}, not {value}")
    return value


_VALIDATORS = {
    "language": _language,
    "task": _task,
    "temperature": _temperature,
    "beam_size": _beam_size,
    "no_speech_threshold": lambda k, v: _number(k, v, 0.0, 1.0),
    "initial_prompt": _text,
    "hotwords": _text,
    "vad_filter": _bool,
    "word_timestamps": _bool,
    "condition_on_previous_text": _bool,
    "without_timestamps": _bool,
    "return_no_speech_prob": _bool,
    "include_segments": _bool,
    "hold_back_cut_word": _bool,
}
# null means "use the default" except where null is itself a meaningful value
_NULLABLE = frozenset({"no_speech_threshold"})
