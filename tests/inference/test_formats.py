"""Response formats on real transcriptions: LCA's JSON unchanged, OpenAI's json/verbose_json/text,
SRT and WebVTT read back by real parsers (``srt``, ``webvtt-py``), the choice between parameter and Accept."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
import srt
import webvtt
from openai.types.audio import TranscriptionVerbose

from inference import formats, handler
from inference.errors import ClientError, NotAcceptable
from inference.parameters import Parameters
from inference.transcribe import transcribe
from replay.lca_audio import lca_request_body
from replay.wer import wer

LCA_KEYS = ["text", "language", "segments", "duration"]
SEGMENT_KEYS = ["id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob", "compression_ratio",
                "no_speech_prob"]


@pytest.fixture(scope="module")
def jfk_prediction(transcriber, jfk) -> formats.Prediction:
    """The JFK clip through the hooks as LCA sends it, word timestamps on (the words are checked too)."""
    body = lca_request_body(jfk.path.read_bytes(), {"language": "en", "word_timestamps": True})
    return handler.predict_fn(handler.input_fn(body, "application/json"), transcriber)


def test_lca_json_is_byte_for_byte_what_transcribe_returns(transcriber, jfk):
    # LCA: application/json, no Accept header, its five parameters
    body = lca_request_body(jfk.path.read_bytes())
    data = handler.input_fn(body, "application/json")
    rendered = handler.output_fn(handler.predict_fn(data, transcriber), None)
    direct = transcribe(transcriber.model, data.request, data.parameters, transcriber.config)
    assert rendered == json.dumps(direct, ensure_ascii=False, separators=(",", ":"))
    assert list(json.loads(rendered)) == LCA_KEYS
    assert [list(s) for s in json.loads(rendered)["segments"]] == [SEGMENT_KEYS] * len(direct["segments"])
    for accept in ("application/json", "*/*", "application/json; charset=utf-8"):
        assert handler.output_fn(handler.predict_fn(data, transcriber), accept) == rendered


def test_include_segments_false_still_drops_them(transcriber, jfk):
    data = handler.input_fn(lca_request_body(jfk.path.read_bytes(), {"include_segments": False}), "application/json")
    prediction = handler.predict_fn(data, transcriber)
    assert list(json.loads(handler.output_fn(prediction, None))) == ["text", "language", "duration"]
    assert len(srt_cues(formats.render(prediction, "srt"))) >= 1  # other formats still have their cues


def srt_cues(text: str) -> list[srt.Subtitle]:
    cues = list(srt.parse(text))
    assert [c.index for c in cues] == list(range(1, len(cues) + 1))
    return cues


def check_times(starts_ends: list[tuple[float, float]], duration: float) -> None:
    starts = [s for s, _ in starts_ends]
    assert starts == sorted(starts)
    assert all(0 <= s <= e <= duration + 0.01 for s, e in starts_ends), starts_ends


def test_srt_parses_and_matches_the_segments(jfk_prediction, jfk):
    text = formats.render(jfk_prediction, "srt")
    cues = srt_cues(text)
    segments = jfk_prediction["segments"]
    assert len(cues) == len(segments) >= 1
    for cue, segment in zip(cues, segments, strict=True):
        assert cue.start.total_seconds() == pytest.approx(segment["start"], abs=0.001)
        assert cue.end.total_seconds() == pytest.approx(segment["end"], abs=0.001)
        assert cue.content == segment["text"].strip()
    check_times([(c.start.total_seconds(), c.end.total_seconds()) for c in cues], jfk.seconds)
    assert wer([jfk.reference], [" ".join(c.content for c in cues)]) <= 0.1
    assert "00:00:0" in text and "," in text.splitlines()[1]  # SRT's comma before the milliseconds


def vtt_times(caption) -> tuple[float, float]:
    # webvtt-py's *_in_seconds drop the milliseconds
    return caption.start_time.in_milliseconds() / 1000, caption.end_time.in_milliseconds() / 1000


def test_vtt_parses_and_matches_the_segments(jfk_prediction, jfk):
    text = formats.render(jfk_prediction, "vtt")
    assert text.startswith("WEBVTT\n\n")
    captions = webvtt.from_buffer(io.StringIO(text)).captions
    times = [vtt_times(c) for c in captions]
    assert times == [(pytest.approx(s["start"], abs=0.001), pytest.approx(s["end"], abs=0.001))
                     for s in jfk_prediction["segments"]]
    check_times(times, jfk.seconds)
    assert wer([jfk.reference], [" ".join(c.text for c in captions)]) <= 0.1
    assert "." in text.splitlines()[2].split(" --> ")[0]


def test_verbose_json_is_openais_shape_with_words(jfk_prediction, jfk):
    body = json.loads(formats.render(jfk_prediction, "verbose_json"))
    verbose = TranscriptionVerbose.model_validate(body)  # the openai package's own model of the answer
    assert body["task"] == "transcribe" and body["language"] == "en"
    assert verbose.duration == pytest.approx(jfk.seconds, abs=0.01)
    assert [list(s) for s in body["segments"]] == [SEGMENT_KEYS] * len(body["segments"])
    words = verbose.words or []
    assert wer([jfk.reference], [" ".join(w.word for w in words)]) <= 0.1
    assert all(w.word == w.word.strip() for w in words)
    check_times([(w.start, w.end) for w in words], jfk.seconds)


def test_json_and_text(jfk_prediction):
    assert json.loads(formats.render(jfk_prediction, "json")) == {"text": jfk_prediction["text"]}
    assert formats.render(jfk_prediction, "text") == jfk_prediction["text"] + "\n"


def test_the_parameter_wins_over_accept(transcriber, jfk):
    body = lca_request_body(jfk.path.read_bytes(), {"response_format": "srt"})
    prediction = handler.predict_fn(handler.input_fn(body, "application/json"), transcriber)
    for accept in (None, "application/json", "text/vtt", "text/csv"):
        assert srt_cues(handler.output_fn(prediction, accept))


@pytest.mark.parametrize("accept, chosen", [
    (None, formats.LCA), ("", formats.LCA), ("*/*", formats.LCA), ("application/json", formats.LCA),
    ("text/plain", "text"), ("text/vtt", "vtt"), ("application/x-subrip", "srt"),
    ("text/csv, text/vtt;q=0.5", "vtt"), ("application/json;q=0.2, text/vtt", "vtt"),
    ("text/vtt;q=0, application/x-subrip", "srt"), ("TEXT/VTT; charset=utf-8", "vtt"),
])
def test_accept_negotiation(accept, chosen):
    assert formats.choose(None, accept) == chosen
    assert formats.choose("verbose_json", accept) == "verbose_json"


@pytest.mark.parametrize("accept", ["text/csv", "image/png, audio/*", "text/vtt;q=0"])
def test_accept_without_a_format_is_406(accept):
    with pytest.raises(NotAcceptable) as err:
        formats.choose(None, accept)
    assert err.value.status == 406 and "response_format" in err.value.message


@pytest.mark.parametrize("value", ["xml", "SRT", 5, ["srt"]])
def test_unknown_response_format_is_400(value):
    with pytest.raises(ClientError, match="response_format") as err:
        Parameters.from_request({"response_format": value})
    assert err.value.status == 400


@pytest.mark.parametrize("seconds, text", [(0, "00:00:00,000"), (1.0, "00:00:01,000"), (61.5, "00:01:01,500"),
                                           (3661.0004, "01:01:01,000"), (59.9996, "00:01:00,000")])
def test_timestamps(seconds, text):
    assert formats.timestamp(seconds, ",") == text
    assert formats.timestamp(seconds, ".") == text.replace(",", ".")


def test_cue_text_cannot_break_the_files():
    segment = {"id": 0, "start": 0.0, "end": 1.0, "text": " a <b> & c --> d\n\ne", "channel": "agent"}
    prediction = formats.Prediction({"text": "x", "language": "en", "segments": [segment], "duration": 1.0})
    caption, = webvtt.from_buffer(io.StringIO(formats.render(prediction, "vtt"))).captions
    assert caption.voice == "agent" and caption.raw_text == "<v agent>a &lt;b&gt; &amp; c --&gt; d e"
    cue, = srt_cues(formats.render(prediction, "srt"))
    assert cue.content == "agent: a <b> & c --> d e"
    assert formats.render(prediction, "text") == "agent: a <b> & c --> d e\n"


def test_no_segments_is_an_empty_but_valid_file():
    prediction = formats.Prediction({"text": "", "language": "en", "segments": [], "duration": 1.0})
    assert srt_cues(formats.render(prediction, "srt")) == []
    assert webvtt.from_buffer(io.StringIO(formats.render(prediction, "vtt"))).captions == []
    assert formats.render(prediction, "text") == "\n"


def test_a_plain_dict_still_renders_as_lca_json():
    assert json.loads(handler.output_fn({"text": "a"}, None)) == {"text": "a"}
    assert handler.output_fn({"text": "a"}, "text/plain") == "a\n"


def test_the_task_travels_to_verbose_json(transcriber, jfk):
    data = handler.input_fn(lca_request_body(jfk.path.read_bytes(), {"response_format": "verbose_json"}),
                            "application/json")
    data = dataclasses.replace(data, parameters=dataclasses.replace(data.parameters, task="translate"))
    assert json.loads(handler.output_fn(handler.predict_fn(data, transcriber), None))["task"] == "translate"
