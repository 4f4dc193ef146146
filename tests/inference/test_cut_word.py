"""A partial's cut word is held back and an unsure partial says nothing; finals keep every word."""

from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile

from inference.codecs import DecodedRequest
from inference.cut_word import HOLD_BACK_S, ends_in_speech, hold_back, unsure
from inference.errors import ClientError
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


def _text(model, audio: np.ndarray, hold_back: bool, **params) -> str:
    params = Parameters(language="en", hold_back_cut_word=hold_back, **params)
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
        held = _text(transcriber.model, audio[:cut], hold_back=True, min_partial_confidence=0.0).split()
        assert 2 <= len(held) < len(guessed) and held == guessed[:len(held)], (guessed, held)


def test_a_final_ending_in_silence_keeps_every_word(transcriber, jfk):
    audio = np.concatenate([_audio(jfk), np.zeros(int(HANG_OVER_S * RATE), dtype=np.float32)])
    whole = _text(transcriber.model, audio, hold_back=False)
    assert whole and _text(transcriber.model, audio, hold_back=True) == whole
    # however unsure the model is, a final is never left empty
    assert _text(transcriber.model, audio, hold_back=True, min_partial_confidence=1.0) == whole


def _partial(model, audio: np.ndarray, min_confidence: float) -> dict:
    params = Parameters(language="en", min_partial_confidence=min_confidence, word_timestamps=True)
    return transcribe(model, DecodedRequest(audio), params)


@pytest.mark.slow
def test_an_unsure_partial_says_nothing_and_a_sure_one_is_kept(transcriber, jfk):
    """The gate follows the held-back words' own probabilities: empty below the threshold, else unchanged."""
    audio = _audio(jfk)
    cuts = [c for c in _cuts_inside_speech(audio) if ends_in_speech(audio[:c])][::3]
    assert len(cuts) >= 4
    sure = left_empty = 0
    for cut in cuts:
        ungated = _partial(transcriber.model, audio[:cut], 0.0)
        probabilities = [w["probability"] for s in ungated["segments"] for w in s["words"]]
        if not probabilities:
            continue
        confidence = math.exp(sum(math.log(p) for p in probabilities) / len(probabilities))
        gated = _partial(transcriber.model, audio[:cut], 0.7)
        if confidence < 0.7:
            assert gated["text"] == "" and gated["segments"] == [], (cut, confidence, ungated["text"])
            left_empty += 1
        else:
            assert gated["text"] == ungated["text"] != "", (cut, confidence)
            sure += 1
        # nothing is sure beyond certainty: the strictest gate empties every partial cut in speech
        assert _partial(transcriber.model, audio[:cut], 1.0)["text"] == ""
    assert sure >= 2 and left_empty >= 1, (sure, left_empty)  # both sides seen (8 and 2 with tiny.en)


def test_unsure_measures_the_geometric_mean(transcriber, jfk):
    segments = list(transcriber.model.transcribe(_audio(jfk), language="en", word_timestamps=True)[0])
    probabilities = [w.probability for s in segments for w in s.words]
    mean = math.exp(sum(math.log(p) for p in probabilities) / len(probabilities))
    assert not unsure(segments, mean - 1e-6) and unsure(segments, mean + 1e-6)
    assert not unsure(segments, 0.0) and not unsure([], 1.0)


def test_the_deployment_sets_the_default_and_a_request_may_override_it():
    from inference.config import ServingConfig

    deployment = ServingConfig.from_env({"WHISPER_MIN_PARTIAL_CONFIDENCE": "0.85"})
    assert Parameters.from_request({}, deployment).min_partial_confidence == 0.85
    assert Parameters.from_request(None, deployment).min_partial_confidence == 0.85  # no "parameters" at all
    assert Parameters.from_request({"min_partial_confidence": 0}, deployment).min_partial_confidence == 0.0
    assert Parameters.from_request({"min_partial_confidence": None}, deployment).min_partial_confidence == 0.85
    assert Parameters.from_request({}).min_partial_confidence == Parameters().min_partial_confidence == 0.7


@pytest.mark.parametrize("value", [-0.1, 1.5, "high", True])
def test_min_partial_confidence_is_a_number_from_0_to_1(value):
    with pytest.raises(ClientError, match="min_partial_confidence"):
        Parameters.from_request({"min_partial_confidence": value})


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
