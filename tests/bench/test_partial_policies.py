"""bench.partial_policies: its offline policies are the handler's, and each does what it says."""

from __future__ import annotations

import json

import pytest

from bench import lca_workload
from bench.partial_policies import Decoded, Policy, decode_workload, evaluate, policies, shown
from inference import handler
from replay.clips import QUICK_CLIPS, load_clips
from replay.lca_audio import LCA_PARAMETERS, lca_transcript
from replay.phantoms import words

WORDS = (("Go", 0.4, 0.9), (" forward", 0.9, 0.95), (" ten", 1.5, 0.3), (" me", 1.9, 0.2))


def _decoded(final: bool = False, speech: bool = True, found=WORDS) -> Decoded:
    return Decoded("goforward", final, 2.0, speech, "".join(w for w, _, _ in found).strip(), found)


def test_each_policy_does_what_it_says():
    assert shown(_decoded(), Policy("nothing")) == "Go forward ten me"
    assert shown(_decoded(), Policy("last word", 0.0)) == "Go forward ten"
    assert shown(_decoded(), Policy("0.6 s", 0.6)) == "Go forward"  # "ten" ends 0.5 s before the cut
    assert shown(_decoded(), Policy("cut", 0.0, prefix_probability=0.5)) == "Go forward"
    # the three words left: (0.9 * 0.95 * 0.3) ** (1 / 3) = 0.635
    assert shown(_decoded(), Policy("gate", 0.0, min_confidence=0.7)) == ""
    assert shown(_decoded(), Policy("gate", 0.0, min_confidence=0.6)) == "Go forward ten"
    # audio that does not end in speech (a final after the hang-over) is shown whole under every policy
    assert {shown(_decoded(final=True, speech=False), p) for p in policies()} == {"Go forward ten me"}


def test_words_shown_and_lost_finals_are_counted():
    decoded = [_decoded(), _decoded(final=True, speech=False)]
    outcome = evaluate(decoded, {"goforward": "go forward ten meters"}, Policy("last word", 0.0))
    assert outcome.words_shown == 3 and outcome.lost_finals == 0
    assert (outcome.tally.partials, outcome.tally.phantom_partials) == (1, 0)
    lost = evaluate([_decoded(), _decoded(final=True, speech=True)], {}, Policy("gate", 0.0, min_confidence=0.9))
    assert lost.lost_finals == 1 and lost.words_shown == 0


@pytest.mark.slow
def test_the_default_policy_is_what_the_handler_answers(model_dir):
    """Decoded once and policed offline == the live handler's own answer, request by request."""
    clips = load_clips(QUICK_CLIPS)
    decoded = decode_workload(model_dir, clips)
    transcriber = handler.model_fn(str(model_dir))
    default = policies()[-1]
    requests = lca_workload.lca_workload(clips, dict(LCA_PARAMETERS))
    assert len(requests) == len(decoded)
    held = 0
    for request, d in zip(requests, decoded, strict=True):
        invocation = handler.input_fn(request.body, "application/json")
        live = json.loads(handler.output_fn(handler.predict_fn(invocation, transcriber), "application/json"))
        assert words(lca_transcript(live) or "") == words(shown(d, default)), request
        held += d.ends_in_speech and words(shown(d, default)) != words(d.text or "")
    assert held >= 3  # the policy changed real answers, and the handler agreed each time
