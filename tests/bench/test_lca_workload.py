"""The LCA workload is built the way LCA's call transcriber builds its requests."""

from __future__ import annotations

import io
import json
import wave

import numpy as np
import soundfile

from bench import lca_workload
from replay.lca_audio import LCA_PARAMETERS, to_telephone


def _audio_of(body: bytes) -> tuple[dict, np.ndarray]:
    data = json.loads(body)
    wav = bytes(data["audio_input"])
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    with wave.open(io.BytesIO(wav)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert len(wav) == 44 + 2 * len(samples)  # LCA's canonical 44-byte header
    return data, samples


def test_partials_resend_the_growing_utterance_every_second_then_a_final(short_clips):
    goforward = next(c for c in short_clips if c.name == "goforward")  # 2.786 s
    requests = lca_workload.lca_workload([goforward])

    assert [(r.audio_seconds, r.final) for r in requests] == [(1.0, False), (2.0, False), (2.78625 + 0.6, True)]
    decoded = [_audio_of(r.body) for r in requests]
    final_audio = decoded[-1][1]
    for request, (data, samples) in zip(requests, decoded, strict=True):
        assert data["parameters"] == LCA_PARAMETERS
        assert len(samples) == round(request.audio_seconds * 16000)
        np.testing.assert_array_equal(samples, final_audio[: len(samples)])  # a prefix: re-sent, not sliced


def test_audio_is_telephone_band_upsampled_by_repetition(short_clips):
    clip = short_clips[0]
    original, _ = soundfile.read(str(clip.path), dtype="int16")
    audio = lca_workload.telephone_audio(clip.path)

    np.testing.assert_array_equal(audio[0::2], audio[1::2])
    np.testing.assert_array_equal(audio[0::2], to_telephone(original))
    assert not np.array_equal(audio[: len(original)], original[: len(audio)])


def test_every_clip_becomes_one_utterance_with_one_final(clips):
    requests = lca_workload.lca_workload(clips)
    finals = [r.clip for r in requests if r.final]
    assert finals == [c.name for c in clips]
    partials = sum(1 for r in requests if not r.final)
    assert partials == sum(int(np.ceil(c.seconds)) - 1 for c in clips)


def test_long_payload_is_50_s_and_fits_sagemakers_6_mb(short_clips):
    body = lca_workload.long_payload(short_clips, 50.0)
    _, samples = _audio_of(body)
    assert len(samples) == 50 * 16000
    assert len(body) < 6 * 1024 * 1024
