"""Agreement across LCA's growing partials, with the real model on LCA's requests for real
speech: an instance that saw the utterance's previous partial shows only the words both
hypotheses agree on; one that did not answers as the hold-back does; the final is whole."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.lca_workload import telephone_audio, utterance_requests
from inference import handler
from inference.agreement import agreed_prefix, comparable, shown_with_sure_tail
from inference.cut_word import HOLD_BACK_S, TAIL_PROBABILITY, ends_in_speech
from inference.partial_memory import PartialMemory
from replay.lca_audio import LCA_PARAMETERS, lca_transcript
from replay.wer import wer


def _answer(transcriber, body: bytes, **parameters) -> dict:
    if parameters:
        body = json.dumps({**json.loads(body), "parameters": {**LCA_PARAMETERS, **parameters}}).encode()
    prediction = handler.predict_fn(handler.input_fn(body, "application/json"), transcriber)
    return json.loads(handler.output_fn(prediction, "application/json"))


def _words(text: str | None) -> list[str]:
    return [comparable(w) for w in (text or "").split()]


_WORD = st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 10.0))  # (probability, end)


@given(st.lists(_WORD, max_size=8), st.integers(0, 8), st.floats(0.0, 10.0), st.floats(0.0, 1.0))
def test_the_sure_tail_extends_the_agreed_words_only_with_sure_words_heard_whole(found, agreed, cut_s, sure):
    agreed = min(agreed, len(found))
    probabilities, ends = [p for p, _ in found], [e for _, e in found]
    shown = shown_with_sure_tail(agreed, ends, probabilities, cut_s, sure, HOLD_BACK_S)
    assert agreed <= shown <= len(found)
    assert all(p >= sure and e <= cut_s - HOLD_BACK_S for p, e in found[agreed:shown])
    assert shown == len(found) or found[shown][0] < sure or found[shown][1] > cut_s - HOLD_BACK_S
    assert shown_with_sure_tail(agreed, ends, probabilities, cut_s, 1.01, HOLD_BACK_S) == agreed  # 1+: agreement alone


@pytest.mark.slow
def test_partials_show_what_consecutive_hypotheses_agree_on(transcriber, jfk):
    live = handler.Transcriber(transcriber.model, transcriber.config, PartialMemory())
    requests = utterance_requests(jfk.name, telephone_audio(jfk.path))
    previous: list[str] | None = None
    agreed_partials = 0
    for request in requests[:-1]:
        timed = _answer(transcriber, request.body, hold_back_cut_word=False, word_timestamps=True)
        whole = _words(lca_transcript(timed))
        found = [w for s in timed["segments"] for w in s["words"]]
        fresh = _answer(handler.Transcriber(transcriber.model, transcriber.config, PartialMemory()), request.body)
        shown = _words(lca_transcript(_answer(live, request.body)))
        if not ends_in_speech(handler.input_fn(request.body, "application/json").request.audio):
            assert shown == whole  # a pause: nothing is cut, nothing remembered
            continue
        if previous is not None and shown:
            # what is shown is where the previous hypothesis and this one agree, word for word,
            # then the words after it that the model is sure of and heard before the last 0.2 s
            assert shown == whole[:len(shown)], (shown, whole)
            agreed = agreed_prefix(previous, whole)
            assert len(shown) == shown_with_sure_tail(agreed, [w["end"] for w in found],
                                                      [w["probability"] for w in found], request.audio_seconds,
                                                      TAIL_PROBABILITY, HOLD_BACK_S), (shown, whole, previous)
            agreed_partials += 1
        elif previous is None:
            assert shown == _words(lca_transcript(fresh))  # no state yet: today's hold-back policy
        previous = whole
    assert agreed_partials >= 3  # the clip's eleven seconds give most partials a previous one
    final = lca_transcript(_answer(live, requests[-1].body))
    assert wer([jfk.reference], [final]) <= 0.15  # the final answers in full


@pytest.mark.slow
def test_a_partial_landing_without_state_falls_back_to_the_hold_back(transcriber, jfk):
    """SageMaker may route an utterance's next partial to an instance that never saw it."""
    requests = utterance_requests(jfk.name, telephone_audio(jfk.path))
    mid_speech = [r for r in requests[3:-1]
                  if ends_in_speech(handler.input_fn(r.body, "application/json").request.audio)]
    cold = handler.Transcriber(transcriber.model, transcriber.config, PartialMemory())
    held = _words(lca_transcript(_answer(cold, mid_speech[0].body)))
    whole = _words(lca_transcript(_answer(cold, mid_speech[0].body, hold_back_cut_word=False)))
    assert held and held == whole[:len(held)] and len(held) < len(whole)
    assert len(cold.memory) == 1  # and the instance now remembers it for the next one
