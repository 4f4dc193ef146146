"""The word a partial's cut splits is held back; finals, which end in silence, keep every word."""

from __future__ import annotations

import numpy as np
import soundfile

from inference.codecs import DecodedRequest
from inference.cut_word import HOLD_BACK_S, ends_in_speech, hold_back
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


def test_a_partial_cut_in_speech_loses_only_its_last_words(transcriber, jfk):
    audio = _audio(jfk)
    cuts = [c for c in _cuts_inside_speech(audio) if c > 3 * RATE and ends_in_speech(audio[:c])][:3]
    assert cuts
    for cut in cuts:
        guessed = _text(transcriber.model, audio[:cut], hold_back=False).split()
        held = _text(transcriber.model, audio[:cut], hold_back=True).split()
        assert 2 <= len(held) < len(guessed) and held == guessed[:len(held)], (guessed, held)


def test_a_final_ending_in_silence_keeps_every_word(transcriber, jfk):
    audio = np.concatenate([_audio(jfk), np.zeros(int(HANG_OVER_S * RATE), dtype=np.float32)])
    assert _text(transcriber.model, audio, hold_back=True) == _text(transcriber.model, audio, hold_back=False)


def test_held_back_are_the_words_ending_near_the_cut_and_tokens_still_spell_the_text(transcriber, jfk):
    model, audio = transcriber.model, _audio(jfk)
    cut_s = len(audio) / RATE
    segments = list(model.transcribe(audio, language="en", word_timestamps=True)[0])
    words = [w for s in segments for w in s.words]
    trimmed = hold_back(segments, model.hf_tokenizer.decode, cut_s)
    kept = [w for s in trimmed for w in s.words]
    assert kept == words[:len(kept)] and len(kept) < len(words)
    assert all(w.end <= cut_s - HOLD_BACK_S for w in kept)
    assert words[len(kept)].end > cut_s - HOLD_BACK_S or len(kept) == len(words) - 1
    for s in trimmed:
        assert model.hf_tokenizer.decode(s.tokens).strip() == s.text.strip()
        assert s.text == "".join(w.word for w in s.words) and s.end == s.words[-1].end


def test_without_word_timings_only_the_last_word_goes(transcriber, jfk):
    model = transcriber.model
    segments = list(model.transcribe(_audio(jfk), language="en")[0])
    trimmed = hold_back(segments, model.hf_tokenizer.decode, len(_audio(jfk)) / RATE)
    assert " ".join(s.text for s in trimmed).split() == " ".join(s.text for s in segments).split()[:-1]
    assert model.hf_tokenizer.decode(trimmed[-1].tokens).strip() == trimmed[-1].text.strip()


def test_nothing_to_hold_back_leaves_the_segments_alone():
    assert hold_back([], lambda tokens: "", 1.0) == []
