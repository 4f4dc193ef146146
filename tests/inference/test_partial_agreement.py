"""Agreement across LCA's growing partials, with the real model on LCA's requests for real
speech: an instance that saw the utterance's previous partial shows only the words both
hypotheses agree on; one that did not answers as the hold-back does; the final is whole."""

from __future__ import annotations

import json

import pytest

from bench.lca_workload import telephone_audio, utterance_requests
from inference import handler
from inference.agreement import comparable
from inference.cut_word import ends_in_speech
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


@pytest.mark.slow
def test_partials_show_what_consecutive_hypotheses_agree_on(transcriber, jfk):
    live = handler.Transcriber(transcriber.model, transcriber.config, PartialMemory())
    requests = utterance_requests(jfk.name, telephone_audio(jfk.path))
    previous: list[str] | None = None
    agreed_partials = 0
    for request in requests[:-1]:
        whole = _words(lca_transcript(_answer(transcriber, request.body, hold_back_cut_word=False)))
        fresh = _answer(handler.Transcriber(transcriber.model, transcriber.config, PartialMemory()), request.body)
        shown = _words(lca_transcript(_answer(live, request.body)))
        if not ends_in_speech(handler.input_fn(request.body, "application/json").request.audio):
            assert shown == whole  # a pause: nothing is cut, nothing remembered
            continue
        if previous is not None and shown:
            # what is shown is where the previous hypothesis and this one agree, word for word
            assert shown == whole[:len(shown)] == previous[:len(shown)], (shown, whole, previous)
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
