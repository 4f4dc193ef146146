"""Request ``parameters``: validated and typed, with the defaults chosen for LCA's utterances.

Unknown keys are ignored, as the original handler did, so clients that send extra
options keep working; a known key with a wrong type or range is a 400.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields

from faster_whisper.tokenizer import _LANGUAGE_CODES

from .config import ServingConfig
from .errors import ClientError

TASKS = ("transcribe", "translate")
RESPONSE_FORMATS = ("json", "verbose_json", "text", "srt", "vtt")  # OpenAI's; none given: LCA's JSON
CHANNEL_MODES = ("mix", "separate")
GRANULARITIES = ("segment", "word")
_CHANNEL_NAME = re.compile(r"[A-Za-z0-9_.-][A-Za-z0-9 _.-]{0,31}")  # shown in SRT lines and VTT <v> tags
MAX_BEAM_SIZE = 10
MAX_TEXT_CHARS = 2000  # initial_prompt / hotwords: tokens are checked against the model later
_DEFAULT = ServingConfig()


# The defaults are chosen for LCA's live utterances. A whole recording (a file sent as
# OpenAI's form, transcribed per channel, or longer than any live request) has no cut
# last word to hold back. VAD stays on: it keeps segment times on speech (subtitles) and
# skips silence, but Silero can miss a noisy speaker Whisper hears (a 10-minute call in
# bench/RESULTS.md); such recordings are better sent with vad_filter=false.
RECORDING_DEFAULTS = {"hold_back_cut_word": False}


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
        min_partial_confidence: where the last word is held back, answer with no text when
            the remaining words' geometric-mean probability is below this (0 switches it
            off): a guess made with too little context, which the final corrects. Its
            default is the deployment's (``WHISPER_MIN_PARTIAL_CONFIDENCE``).
        response_format: ``json``, ``verbose_json``, ``text``, ``srt`` or ``vtt`` (OpenAI's
            names); ``None`` leaves the choice to the Accept header (LCA's JSON by default).
        channels: ``mix`` (average the channels, as LCA's mono utterances need) or ``separate``
            (transcribe each channel of a recording on its own, segments labelled).
        channel_names: the labels for ``separate`` (default ``ch_0``, ``ch_1``, ...).
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
    min_partial_confidence: float = _DEFAULT.partial_confidence
    response_format: str | None = None
    channels: str = "mix"
    channel_names: tuple[str, ...] | None = None

    @classmethod
    def from_request(cls, raw: object, config: ServingConfig | None = None) -> Parameters:
        """Validate a request's ``parameters`` object (``config`` bounds the temperature list and
        gives the deployment's defaults).

        Raises:
            ClientError: a known key has the wrong type or is out of range.
        """
        config = config or _DEFAULT
        raw = {} if raw is None else raw
        if not isinstance(raw, dict):
            raise ClientError("'parameters' must be a JSON object")
        known = {f.name for f in fields(cls)}
        values = {}
        if raw.get("timestamp_granularities") is not None:  # OpenAI's way to ask for word timings
            raw = {"word_timestamps": "word" in _granularities(raw["timestamp_granularities"]), **raw}
        for key, value in raw.items():
            if key in known and value is not None:
                values[key] = _VALIDATORS[key](key, value)
            elif key in known and key in _NULLABLE:
                values[key] = None
        values.setdefault("min_partial_confidence", config.partial_confidence)
        limit = config.max_temperatures
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


def _choice(allowed: tuple[str, ...]):
    def check(key: str, value: object) -> str:
        if value not in allowed:
            raise ClientError(f"parameter '{key}' must be one of {', '.join(allowed)}, not {value!r}")
        return value
    return check


def _granularities(value: object) -> list[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or any(v not in GRANULARITIES for v in values):
        raise ClientError(f"parameter 'timestamp_granularities' must list {' and/or '.join(GRANULARITIES)}, "
                          f"not {value!r}")
    return values


def _channel_names(key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or len(value) > 64:
        raise ClientError(f"parameter '{key}' must be a list of names, one per channel, not {value!r}")
    for name in value:
        if not isinstance(name, str) or not _CHANNEL_NAME.fullmatch(name):
            raise ClientError(f"parameter '{key}': {name!r} is not a name of 1-32 letters, digits, spaces, "
                              "'_', '.' or '-'")
    return tuple(value)


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
    "min_partial_confidence": lambda k, v: _number(k, v, 0.0, 1.0),
    "response_format": _choice(RESPONSE_FORMATS),
    "channels": _choice(CHANNEL_MODES),
    "channel_names": _channel_names,
}
# null means "use the default" except where null is itself a meaningful value
_NULLABLE = frozenset({"no_speech_threshold"})


# --- parameters as text: multipart form fields and X-Amzn-SageMaker-Custom-Attributes ----------

_TEXT_ALIASES = {"prompt": "initial_prompt"}  # OpenAI's field name -> ours
_TEXT_LISTS = frozenset({"timestamp_granularities", "channel_names"})
_TEXT_NUMBERS = frozenset({"temperature", "beam_size", "no_speech_threshold", "min_partial_confidence"})
_TEXT_BOOLS = frozenset({"vad_filter", "word_timestamps", "condition_on_previous_text", "without_timestamps",
                         "return_no_speech_prob", "include_segments", "hold_back_cut_word"})


def from_text(fields: Mapping[str, list[str]]) -> dict:
    """Text fields (``name`` or ``name[]`` -> values) -> a raw ``parameters`` mapping.

    Numbers and booleans are converted when they parse; when they do not, the text is
    kept so that :meth:`Parameters.from_request` refuses it with its usual message. Lists
    take repeated fields or one comma-separated value (``channel_names=agent,caller``).
    """
    raw: dict = {}
    for name, values in fields.items():
        key = name.removesuffix("[]")
        key = _TEXT_ALIASES.get(key, key)
        if key in _TEXT_LISTS:
            raw[key] = [part.strip() for value in values for part in value.split(",") if part.strip()]
        elif key in _TEXT_NUMBERS:
            numbers = [_as_number(part.strip()) for part in values[-1].split(",")]
            raw[key] = numbers if len(numbers) > 1 else numbers[0]
        elif key in _TEXT_BOOLS:
            raw[key] = {"true": True, "false": False}.get(values[-1].strip().lower(), values[-1])
        else:
            raw[key] = values[-1]
    return raw


def from_attributes(header: str | None) -> dict:
    """``X-Amzn-SageMaker-Custom-Attributes: response_format=srt;channels=separate`` -> raw parameters.

    Raises:
        ClientError: a part is not ``key=value``.
    """
    fields: dict[str, list[str]] = {}
    for part in (header or "").split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ClientError(f"X-Amzn-SageMaker-Custom-Attributes: {part.strip()[:40]!r} is not key=value")
        fields.setdefault(key.strip(), []).append(value.strip())
    return from_text(fields)


def _as_number(text: str) -> float | int | str:
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number
