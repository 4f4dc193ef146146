"""Two-channel recordings transcribed per channel, on real 8 kHz stereo calls from the speech corpus.

The calls (``scripts/fetch_speech_corpus.py``) carry one speaker per channel with a script
of who says what when (``calls.json``), so every word can be checked against its channel.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
import srt
import webvtt
from inference_testlib import post

from inference import codecs, formats, handler
from inference.codecs import AudioPayload
from inference.config import ServingConfig
from inference.errors import ClientError
from inference.parameters import Parameters
from replay import clips as replay_clips
from replay.lca_audio import lca_request_body
from replay.wer import wer

NAMES = ("caller", "agent")  # LCA's order: channel 0 is the caller


@pytest.fixture(scope="module")
def calls() -> dict[str, dict]:
    index = replay_clips.testdata_root() / "corpus" / "calls" / "calls.json"
    if not index.exists():
        pytest.fail(f"{index} is missing: run scripts/fetch_speech_corpus.py (make setup does)")
    return {c["name"]: {**c, "path": index.parent / c["file"]} for c in json.loads(index.read_text())}


@pytest.fixture(scope="module")
def call(calls) -> dict:
    return calls["asterisk-call-01"]  # 48.8 s, 12 turns, the two channels alternating


@pytest.fixture(scope="module")
def separated(transcriber, call) -> formats.Prediction:
    data = handler.decode_invocation(Path(call["path"]).read_bytes(), "audio/wav", transcriber.config,
                                     "channels=separate;channel_names=caller,agent;timestamp_granularities=word")
    assert data.request.audio.shape[0] == 2
    return handler.predict_fn(data, transcriber)


def channel_script(call: dict, channel: int) -> tuple[str, list[tuple[float, float]]]:
    turns = [t for t in call["turns"] if t["channel"] == channel]
    return " ".join(t["reference"] for t in turns), [(t["start_s"], t["end_s"]) for t in turns]


def test_each_channels_words_land_under_its_own_label(separated, call):
    for channel, name in enumerate(NAMES):
        reference, spans = channel_script(call, channel)
        other, _ = channel_script(call, 1 - channel)
        segments = [s for s in separated["segments"] if s["channel"] == name]
        heard = " ".join(s["text"] for s in segments)
        assert wer([reference], [heard]) <= 0.15, (name, heard)
        assert wer([other], [heard]) >= 0.5, "the other speaker's words are not in this channel"
        words = [w for s in segments for w in s["words"]]
        inside = [any(start - 0.5 <= (w["start"] + w["end"]) / 2 <= end + 0.5 for start, end in spans) for w in words]
        assert sum(inside) >= 0.95 * len(words), [w for w, ok in zip(words, inside, strict=True) if not ok]


def test_segments_are_merged_by_start_time_and_renumbered(separated, call):
    segments = separated["segments"]
    assert [s["id"] for s in segments] == list(range(1, len(segments) + 1))
    assert [s["start"] for s in segments] == sorted(s["start"] for s in segments)
    assert {s["channel"] for s in segments} == set(NAMES)
    assert separated["text"] == " ".join(" ".join(s["text"] for s in segments).split())
    assert separated["duration"] == pytest.approx(call["seconds"], abs=0.01)
    assert list(separated) == ["text", "language", "segments", "duration"]


def test_every_format_labels_the_channels(separated):
    segments = separated["segments"]
    verbose = json.loads(formats.render(separated, "verbose_json"))
    assert [s["channel"] for s in verbose["segments"]] == [s["channel"] for s in segments]
    assert {w["channel"] for w in verbose["words"]} == set(NAMES)
    lines = formats.render(separated, "text").splitlines()
    assert lines == [f"{s['channel']}: {' '.join(s['text'].split())}" for s in segments]
    cues = list(srt.parse(formats.render(separated, "srt")))
    assert [c.content.split(": ", 1)[0] for c in cues] == [s["channel"] for s in segments]
    captions = webvtt.from_buffer(io.StringIO(formats.render(separated, "vtt"))).captions
    assert [c.voice for c in captions] == [s["channel"] for s in segments]
    assert [c.text for c in captions] == [" ".join(s["text"].split()) for s in segments]


def test_over_http_with_custom_attributes(server, calls):
    call = calls["asterisk-call-31"]  # 15.8 s, six short turns
    answer = post(f"{server.url}/invocations", Path(call["path"]).read_bytes(), "audio/wav", timeout=120,
                  headers={"X-Amzn-SageMaker-Custom-Attributes": "response_format=vtt;channels=separate;"
                                                                 "channel_names=caller,agent;language=en"})
    assert answer.status == 200, answer.body
    assert answer.headers["content-type"].startswith("text/vtt")
    captions = webvtt.from_buffer(io.StringIO(answer.body.decode())).captions
    for channel, name in enumerate(NAMES):
        reference, _ = channel_script(call, channel)
        heard = " ".join(c.text for c in captions if c.voice == name)
        assert wer([reference], [heard]) <= 0.35, (name, heard)  # six short turns: one word is ~10 points


def test_default_names_and_mono_audio(transcriber, jfk):
    data = handler.decode_invocation(jfk.path.read_bytes(), "audio/wav", transcriber.config, "channels=separate")
    prediction = handler.predict_fn(data, transcriber)
    assert {s["channel"] for s in prediction["segments"]} == {"ch_0"}
    assert wer([jfk.reference], [prediction["text"]]) <= 0.1


def test_names_must_match_the_channels(transcriber, call):
    data = handler.decode_invocation(Path(call["path"]).read_bytes(), "audio/wav", transcriber.config,
                                     "channels=separate;channel_names=agent")
    with pytest.raises(ClientError, match="1 names for audio with 2 channel") as err:
        handler.predict_fn(data, transcriber)
    assert err.value.status == 400


@pytest.mark.parametrize("names", [[], ["a" * 33, "b"], ["<v x>", "b"], ["a\nb", "c"], "agent", [1, 2]])
def test_bad_channel_names_are_400(names):
    with pytest.raises(ClientError, match="channel_names"):
        Parameters.from_request({"channels": "separate", "channel_names": names})


def test_kept_channels_average_to_the_mono_mix(call):
    data = Path(call["path"]).read_bytes()
    pcm = soundfile.read(call["path"], dtype="float32")[0]
    apart = codecs.decode_audio(AudioPayload(data), ServingConfig(), keep_channels=True)
    mixed = codecs.decode_audio(AudioPayload(data), ServingConfig())
    assert apart.shape == (2, len(mixed)) and all(row.flags["C_CONTIGUOUS"] for row in apart)
    np.testing.assert_allclose(apart.mean(axis=0), mixed, atol=1e-6)
    # each row is that channel alone: silent where only the other speaker talks
    turn = next(t for t in call["turns"] if t["channel"] == 1)
    quiet = pcm[int(turn["start_s"] * 8000):int(turn["end_s"] * 8000), 0]
    spoken = apart[1, int(turn["start_s"] * 16000):int(turn["end_s"] * 16000)]
    assert np.abs(quiet).max() < 0.01 and np.abs(spoken).max() > 0.1


def test_whole_recordings_take_the_recording_defaults(jfk):
    wav, config = jfk.path.read_bytes(), ServingConfig()
    separate = handler.decode_invocation(wav, "audio/wav", config, "channels=separate")
    lca = handler.decode_invocation(lca_request_body(wav), "application/json", config)
    kept = handler.decode_invocation(wav, "audio/wav", config, "channels=separate;hold_back_cut_word=true")
    long = np.tile(soundfile.read(str(jfk.path), dtype="int16")[0], 7)  # 77 s: longer than any live request
    buffer = io.BytesIO()
    soundfile.write(buffer, long, 16000, format="WAV")
    mixed = handler.decode_invocation(buffer.getvalue(), "audio/wav", ServingConfig(max_payload_bytes=8 << 20))
    for recording in (separate, mixed):  # a recording's end cuts no word
        assert not recording.parameters.hold_back_cut_word and recording.parameters.vad_filter
    assert lca.parameters.hold_back_cut_word  # LCA's utterances
    assert kept.parameters.hold_back_cut_word  # or asked
