"""The word a partial's cut splits is held back; finals, which end in silence, keep every word."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from inference.codecs import DecodedRequest
from inference.cut_word import ends_in_speech, without_last_word
from inference.parameters import Parameters
from inference.transcribe import transcribe

RATE = 16000
HANG_OVER_S = 0.3  # the shortest silence after which LCA sends an utterance's final


def _audio(clip) -> np.ndarray:
    samples, rate = soundfile.read(str(clip.path), dtype="float32")
    assert rate == RATE
    return samples


def _cuts_inside_speech(audio: np.ndarray) -> list[int]:
    """Sample positions, every 0.1 s, where speech goes on on both sides (by a loose energy measure)."""
    frame = RATE // 20
    energy = np.array([np.sqrt(np.mean(audio[i:i + frame] ** 2)) for i in range(0, len(audio) - frame, frame)])
    loud = energy > 0.25 * np.percentile(energy, 90)
    return [i * frame for i in range(2, len(loud) - 2) if loud[i - 2:i + 2].all() and i * frame > RATE]


def _text(model, audio: np.ndarray, hold_back: bool) -> str:
    params = Parameters(language="en", hold_back_cut_word=hold_back)
    return transcribe(model, DecodedRequest(audio), params)["text"]


def test_speech_running_into_the_cut_is_seen_and_silence_after_it_is_not(jfk):
    audio = _audio(jfk)
    cuts = _cuts_inside_speech(audio)
    assert len(cuts) >= 10
    inside = [ends_in_speech(audio[:cut]) for cut in cuts]
    assert sum(inside) >= 0.8 * len(inside), inside
    silence = np.zeros(int(HANG_OVER_S * RATE), dtype=np.float32)
    ended = [ends_in_speech(np.concatenate([audio[:cut], silence])) for cut in cuts]
    assert not any(ended), ended
    assert not ends_in_speech(np.zeros(RATE, dtype=np.float32))
    assert not ends_in_speech(audio[:100])  # shorter than the frames that decide


def test_a_partial_cut_in_speech_loses_its_last_word_and_only_that(transcriber, jfk):
    audio = _audio(jfk)
    cut = next(c for c in _cuts_inside_speech(audio) if c > 3 * RATE and ends_in_speech(audio[:c]))
    guessed = _text(transcriber.model, audio[:cut], hold_back=False)
    held = _text(transcriber.model, audio[:cut], hold_back=True)
    assert held.split() == guessed.split()[:-1], (guessed, held)


def test_a_final_ending_in_silence_keeps_every_word(transcriber, jfk):
    audio = np.concatenate([_audio(jfk), np.zeros(int(HANG_OVER_S * RATE), dtype=np.float32)])
    assert _text(transcriber.model, audio, hold_back=True) == _text(transcriber.model, audio, hold_back=False)


@pytest.mark.parametrize("word_timestamps", [False, True])
def test_the_trimmed_segment_keeps_tokens_and_timings_consistent(transcriber, jfk, word_timestamps):
    model = transcriber.model
    segments = list(model.transcribe(_audio(jfk), language="en", word_timestamps=word_timestamps)[0])
    assert segments and segments[-1].text.split()
    trimmed = without_last_word(segments, model.hf_tokenizer.decode)
    before = " ".join(s.text for s in segments).split()
    after = " ".join(s.text for s in trimmed).split()
    assert after == before[:-1]
    last = trimmed[-1]
    assert model.hf_tokenizer.decode(last.tokens).strip() == last.text.strip()
    if word_timestamps:
        assert [w.word for w in last.words] == [w.word for w in segments[len(trimmed) - 1].words][:-1]
        assert last.end == last.words[-1].end
    else:
        assert last.end == segments[len(trimmed) - 1].end


def test_nothing_to_hold_back_leaves_the_segments_alone():
    assert without_last_word([], lambda tokens: "") == []
