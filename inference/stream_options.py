"""A streaming session's options: Deepgram's live-API query parameters, as far as Whisper honours them.

A caller opens ``/v1/listen?model=whisper&encoding=linear16&sample_rate=8000&channels=2&
multichannel=true&interim_results=true`` (on SageMaker: ``ModelInvocationPath=v1/listen``
and that query as ``ModelQueryString``). Each parameter is either honoured, accepted as
meaningless here (:data:`ACCEPTED`), or refused with a reason (:data:`REFUSED`): a caller
never gets silence for an option it believes is on. ``inference/README.md`` has the table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .config import ServingConfig
from .errors import ClientError

ENCODINGS = ("linear16", "mulaw")
# Deepgram's default is 10 ms: one frame of silence ends an utterance, far too eager for
# Whisper, which then decodes fragments without the words around them ("As." "Not. Bye
# bye." for "ask not" at 300 ms). A final the model is unsure of waits longer anyway
# (stream_channel.UNSURE_WAIT_S), so the endpoint only has to suit the finals it is sure of:
# on the benchmark's four calls 400 ms kept the finals' errors of 500 ms (20 of 344 words;
# 300 ms: 26) and sent them 0.1 s sooner; on 101 corpus utterances 6.10 % WER against 6.23 %.
DEFAULT_ENDPOINTING_MS = 400
MODEL_ALIASES = ("whisper",)
# Parameters with no effect here, accepted so that Deepgram's clients work unchanged.
ACCEPTED = ("tag", "mip_opt_out", "version", "smart_format", "extra")
# Deepgram features Whisper has no counterpart for: refused, never silently ignored.
REFUSED = {
    "diarize": "speaker diarization", "diarize_model": "speaker diarization", "redact": "redaction",
    "search": "search", "replace": "term replacement", "detect_entities": "entity detection",
    "callback": "callbacks", "callback_method": "callbacks", "numerals": "numeral conversion",
    "profanity_filter": "profanity filtering", "dictation": "dictation", "language_hint": "language hints",
    "filler_words": "filler-word control", "topics": "topic detection", "sentiment": "sentiment analysis",
    "intents": "intent detection", "summarize": "summaries", "detect_language": "language detection in streams",
}


@dataclass(frozen=True)
class StreamOptions:
    """What one session was asked for (Deepgram's names; see the module docstring)."""

    model: str = "whisper"
    encoding: str = "linear16"
    sample_rate: int = 16000
    channels: int = 1
    multichannel: bool = False
    interim_results: bool = False
    endpointing_ms: int | None = DEFAULT_ENDPOINTING_MS  # None: endpointing off
    utterance_end_ms: int | None = None
    vad_events: bool = False
    language: str = "en"
    punctuate: bool = True
    hotwords: str | None = None  # keyterm / keywords, as Whisper's hotwords

    @property
    def transcribed_channels(self) -> int:
        """Channels transcribed on their own: all of them with ``multichannel``, else one mix."""
        return self.channels if self.multichannel else 1

    @classmethod
    def from_query(cls, query: Mapping[str, Sequence[str]], config: ServingConfig,
                   model_name: str | None = None) -> StreamOptions:
        """Validate the query (each name with its values, as ``urllib.parse.parse_qs`` gives them).

        Raises:
            ClientError: an unknown, refused or malformed parameter, naming it.
        """
        values: dict = {}
        for name, given in query.items():
            value = given[-1]
            if name in REFUSED:
                raise ClientError(f"'{name}' is not supported: Whisper has no {REFUSED[name]}")
            if name in ACCEPTED:
                continue
            if name in ("keyterm", "keywords"):
                values["hotwords"] = " ".join(v.split(":")[0] for v in given if v.strip()) or None
            elif name not in _PARSERS:
                raise ClientError(f"unknown query parameter '{name}'")
            else:
                values.update(_PARSERS[name](name, value, config, model_name))
        options = cls(**values)
        if options.utterance_end_ms is not None and not options.interim_results:
            raise ClientError("'utterance_end_ms' needs 'interim_results=true' (as in Deepgram's API)")
        if options.channels > config.max_channels:
            raise ClientError(f"'channels' is {options.channels}; the limit is {config.max_channels} "
                              "(WHISPER_MAX_CHANNELS)")
        return options


def _flag(name: str, value: str) -> bool:
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise ClientError(f"'{name}' must be true or false, not {value!r}")


def _integer(name: str, value: str, low: int, high: int) -> int:
    if not value.isdigit() or not low <= int(value) <= high:
        raise ClientError(f"'{name}' must be an integer between {low} and {high}, not {value!r}")
    return int(value)


def _model(name, value, config, model_name):
    if value not in (*MODEL_ALIASES, model_name):
        allowed = " or ".join(repr(m) for m in (*MODEL_ALIASES, model_name) if m)
        raise ClientError(f"model {value!r} is not served here: use {allowed}")
    return {"model": value}


def _encoding(name, value, config, model_name):
    if value not in ENCODINGS:
        raise ClientError(f"encoding {value!r} is not supported: use {' or '.join(ENCODINGS)} (raw audio only)")
    return {"encoding": value}


def _endpointing(name, value, config, model_name):
    if value.lower() == "false":
        return {"endpointing_ms": None}
    return {"endpointing_ms": _integer(name, value, 10, 10000)}


def _language(name, value, config, model_name):
    code = value.split("-")[0].lower()  # Deepgram's "en-US": Whisper knows languages, not regions
    if not code.isalpha() or len(code) not in (2, 3):
        raise ClientError(f"language {value!r} is not a language code Whisper knows")
    return {"language": code}


_PARSERS = {
    "model": _model,
    "encoding": _encoding,
    "sample_rate": lambda n, v, c, m: {"sample_rate": _integer(n, v, c.min_sample_rate, c.max_sample_rate)},
    "channels": lambda n, v, c, m: {"channels": _integer(n, v, 1, 64)},
    "multichannel": lambda n, v, c, m: {"multichannel": _flag(n, v)},
    "interim_results": lambda n, v, c, m: {"interim_results": _flag(n, v)},
    "endpointing": _endpointing,
    "utterance_end_ms": lambda n, v, c, m: {"utterance_end_ms": _integer(n, v, 1000, 5000)},
    "vad_events": lambda n, v, c, m: {"vad_events": _flag(n, v)},
    "language": _language,
    "punctuate": lambda n, v, c, m: {"punctuate": _flag(n, v)},
}
