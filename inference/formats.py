"""Response formats: LCA's JSON (the default), and OpenAI's ``json``, ``verbose_json``, ``text``, ``srt``, ``vtt``.

The format is the request's ``response_format`` parameter when it has one, else the first
format the ``Accept`` header admits (JSON types and ``*/*``: the route's default, LCA's
JSON on the SageMaker routes). ``predict_fn`` returns a :class:`Prediction` (LCA's body as
a dict, carrying the parameter) because the toolkits hand ``output_fn`` only the
prediction and the Accept header. Segments labelled with a ``channel`` (per-channel
transcription) are prefixed with it: ``agent: ...`` in text and SRT, ``<v agent>`` in VTT.
"""

from __future__ import annotations

import html
import json

from .errors import NotAcceptable

LCA = "lca"  # the original handler's JSON, byte for byte what LCA has always read
FORMATS = ("json", "verbose_json", "text", "srt", "vtt")
MEDIA_TYPES = {
    LCA: "application/json",
    "json": "application/json",
    "verbose_json": "application/json",
    "text": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
}
_JSON_TYPES = frozenset({"", "*/*", "application/*", "application/json"})
_BY_ACCEPT = {"text/plain": "text", "text/*": "text", "application/x-subrip": "srt", "text/vtt": "vtt"}


class Prediction(dict):
    """The response body as LCA reads it, plus how the request asked to render it."""

    def __init__(self, body: dict, response_format: str | None = None, task: str = "transcribe",
                 include_segments: bool = True) -> None:
        super().__init__(body)
        self.response_format = response_format
        self.task = task
        self.include_segments = include_segments


def choose(response_format: str | None, accept: str | None, default: str = LCA) -> str:
    """The parameter when given, else the first acceptable format by the header's order and q-values.

    Raises:
        NotAcceptable: no parameter, and the header admits none of the formats (406).
    """
    if response_format:
        return response_format
    if not accept or not accept.strip():
        return default
    ranked = []
    for position, part in enumerate(accept.split(",")):
        media, *options = (item.strip() for item in part.split(";"))
        quality = next((o.partition("=")[2] for o in options if o.lower().startswith("q=")), "1")
        try:
            ranked.append((-float(quality), position, media.lower()))
        except ValueError:
            continue
    for quality, _, media in sorted(ranked):
        if quality < 0 and media in _JSON_TYPES:
            return default
        if quality < 0 and media in _BY_ACCEPT:
            return _BY_ACCEPT[media]
    raise NotAcceptable(f"cannot answer with {accept!r}: responses are application/json, text/plain, "
                        "application/x-subrip or text/vtt (or set the response_format parameter)")


def render(prediction: dict, fmt: str) -> str:
    """``prediction`` (LCA's body) in format ``fmt``."""
    task = getattr(prediction, "task", "transcribe")
    if fmt == LCA:
        body = prediction
        if not getattr(prediction, "include_segments", True):
            body = {k: v for k, v in prediction.items() if k != "segments"}
        return _json(body)
    if fmt == "json":
        return _json({"text": prediction["text"]})
    segments = prediction.get("segments") or []
    if fmt == "verbose_json":
        return _json(verbose(prediction, segments, task))
    if fmt == "text":
        if any("channel" in s for s in segments):
            return "".join(f"{_line(s)}\n" for s in segments)
        return prediction["text"] + "\n"
    if fmt == "srt":
        return "".join(f"{i}\n{timestamp(s['start'], ',')} --> {timestamp(s['end'], ',')}\n{_line(s)}\n\n"
                       for i, s in enumerate(segments, 1))
    if fmt == "vtt":
        return "WEBVTT\n\n" + "".join(
            f"{timestamp(s['start'], '.')} --> {timestamp(s['end'], '.')}\n{_voice(s)}\n\n" for s in segments)
    raise ValueError(f"unknown response format {fmt!r}")


def verbose(prediction: dict, segments: list[dict], task: str) -> dict:
    """OpenAI's ``verbose_json``: task, language, duration, text, segments, and words when timed."""
    body = {"task": task, "language": prediction.get("language"), "duration": prediction.get("duration"),
            "text": prediction["text"],
            "segments": [{k: v for k, v in s.items() if k != "words"} for s in segments]}
    if any("words" in s for s in segments):
        body["words"] = [
            {"word": w["word"].strip(), "start": w["start"], "end": w["end"],
             **({"channel": s["channel"]} if "channel" in s else {})}
            for s in segments for w in s.get("words", [])
        ]
    return body


def timestamp(seconds: float, separator: str) -> str:
    """``61.5`` -> ``00:01:01,500`` (SRT, separator ``,``) or ``00:01:01.500`` (VTT, ``.``)."""
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _line(segment: dict) -> str:
    text = " ".join(segment["text"].split())  # a blank line would end the cue
    return f"{segment['channel']}: {text}" if "channel" in segment else text


def _voice(segment: dict) -> str:
    # WebVTT cue text is markup: '<', '&' and '>' (no "-->" in a cue) are escaped
    text = html.escape(" ".join(segment["text"].split()), quote=False)
    return f"<v {segment['channel']}>{text}" if "channel" in segment else text


def _json(body: dict) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
