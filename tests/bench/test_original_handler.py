"""The baseline reproduces LCA's original handler: its processing and its response shape."""

from __future__ import annotations

import json

import pytest

from bench import lca_workload, original_handler
from replay.lca_audio import wav_bytes
from replay.wer import normalise

ORIGINAL_SEGMENT_KEYS = {
    "id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob", "compression_ratio",
    "no_speech_prob",
}


class _Recorder:
    """The real model, with the arguments of every ``transcribe`` call kept."""

    def __init__(self, model):
        self.model = model
        self.calls = []

    def transcribe(self, audio, **kwargs):
        self.calls.append((audio, kwargs))
        return self.model.transcribe(audio, **kwargs)


def _invoke(body: bytes, model) -> dict:
    data = original_handler.input_fn(body, "application/json")
    out, content_type = original_handler.output_fn(original_handler.predict_fn(data, model), "application/json")
    assert content_type == "application/json"
    return json.loads(out)


def test_transcribes_lca_request_with_the_original_response_shape(baseline_model, jfk):
    final = lca_workload.lca_workload([jfk])[-1]
    response = _invoke(final.body, baseline_model)

    assert set(response) == {"text", "language", "segments"}
    assert response["language"] == "en"
    assert "ask not what your country can do for you" in normalise(response["text"])
    assert response["segments"]
    for segment in response["segments"]:
        assert set(segment) == ORIGINAL_SEGMENT_KEYS
        assert segment["seek"] == 0
    # The original joined the segments' texts (which start with a space) without trimming.
    assert response["text"] == " ".join(s["text"] for s in response["segments"])


def test_ignores_the_clients_beam_size_and_decodes_a_temp_file_itself(baseline_model, short_clips):
    recorder = _Recorder(baseline_model)
    body = lca_workload.lca_workload(short_clips[:1], {"language": "en", "beam_size": 1})[-1].body
    response = _invoke(body, recorder)

    assert response["text"].strip()
    (audio, kwargs), = recorder.calls
    assert isinstance(audio, str) and audio.endswith(".wav")  # faster-whisper's own decoding of a file
    assert kwargs["beam_size"] == 5 and kwargs["vad_filter"] is True
    assert kwargs["language"] == "en" and kwargs["temperature"] == 0.0


def test_faults_become_an_error_body_like_the_original(baseline_model):
    assert "No valid audio input" in _invoke(b'{"parameters": {}}', baseline_model)["error"]
    assert "array of bytes" in _invoke(b'{"audio_input": "UklGRg=="}', baseline_model)["error"]
    assert _invoke(b'{"audio_input": [1, 2, 3]}', baseline_model)["error"]  # not audio
    with pytest.raises(ValueError, match="application/json"):
        original_handler.input_fn(b"RIFF", "audio/wav")
    with pytest.raises(ValueError, match="Accept"):
        original_handler.output_fn({"text": ""}, "text/csv")


def test_decode_audio_input_returns_the_wav_bytes(short_clips):
    body = lca_workload.lca_workload(short_clips[:1])[-1].body
    final = lca_workload.final_audio(lca_workload.telephone_audio(short_clips[0].path))
    assert original_handler.decode_audio_input(body) == wav_bytes(final)
