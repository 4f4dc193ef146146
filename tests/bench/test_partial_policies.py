"""bench.partial_policies: its offline policies are the handler's, and each does what it says."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bench import lca_workload
from bench.partial_policies import (
    PREVIOUS,
    STATELESS,
    Decoded,
    Policy,
    decode_workload,
    default_policy,
    evaluate,
    policies,
    previous_hypothesis,
    shown,
)
from bench.word_delay import Answer, first_appearances
from inference import handler
from inference.config import model_partial_confidence
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


def test_agreement_shows_what_two_hypotheses_share_and_falls_back_without_one():
    earlier = _decoded(found=(("Go", 0.4, 0.9), (" for", 0.9, 0.95), (" it", 1.0, 0.3)))
    agree = Policy("agree", 0.2, agreement=PREVIOUS)
    assert shown(_decoded(), agree, earlier) == "Go"  # "forward" is not "for": the rest waits
    assert shown(_decoded(), agree, None) == "Go forward ten"  # no state: the hold-back
    assert shown(_decoded(), Policy("stateless", agreement=STATELESS), None) == ""
    gated = Policy("agree, gate", 0.2, min_confidence=0.7, agreement=PREVIOUS)
    assert shown(_decoded(), gated, _decoded()) == ""  # all four agree; their mean probability is 0.49


def test_the_sure_tail_adds_confident_words_heard_whole_after_the_agreed_ones():
    earlier = _decoded(found=(("Go", 0.4, 0.9), (" for", 0.9, 0.95), (" it", 1.0, 0.3)))
    for p in (0.5, 0.9, 0.95):
        tail = Policy("tail", 0.2, agreement=PREVIOUS, tail_probability=p)
        # "forward" (0.95) ended 1.1 s before the cut: shown when sure enough; "ten" (0.3) never
        assert shown(_decoded(), tail, earlier) == ("Go forward" if p <= 0.95 else "Go")
    late = _decoded(found=(("Go", 0.4, 0.9), (" forward", 1.9, 0.99)))
    assert shown(late, Policy("tail", 0.2, agreement=PREVIOUS, tail_probability=0.5), earlier) == "Go"  # at the cut
    # a tail never changes what a stateless partial shows
    assert shown(_decoded(), Policy("tail", 0.2, agreement=PREVIOUS, tail_probability=0.5), None) == "Go forward ten"
    assert default_policy().tail_probability is not None


def test_evaluate_agrees_each_partial_with_the_one_before_and_times_first_appearances():
    first = Decoded("goforward", False, 1.0, True, "Go for", (("Go", 0.4, 0.9), (" for", 0.9, 0.5)), 0.2)
    second = Decoded("goforward", False, 2.0, True, "Go forward ten", WORDS[:3], 0.3)
    final = Decoded("goforward", True, 2.6, False, "Go forward ten meters", (*WORDS[:3], (" meters", 2.0, 0.9)), 0.4)
    outcome = evaluate([first, second, final], {"goforward": "go forward ten meters"},
                       Policy("agree", 0.2, agreement=PREVIOUS))
    # the first partial falls back to the hold-back ("Go"), the second agrees with it on "Go"
    assert outcome.words_shown == 2 and outcome.tally.phantom_partials == 0
    # "go" shows with the first partial (sent at 1.0 s, 0.2 s to decode), the rest with the final
    assert outcome.delays == pytest.approx((1.2 - 0.4, 3.0 - 0.9, 3.0 - 1.5, 3.0 - 2.0))
    assert outcome.cut_delays == pytest.approx((1.0 - 0.4, 2.6 - 0.9, 2.6 - 1.5, 2.6 - 2.0))
    assert outcome.partial_cost_s == pytest.approx(0.25)
    stateless = evaluate([first, second, final], {}, Policy("stateless", agreement=STATELESS))
    assert stateless.partial_cost_s == pytest.approx((0.2 + 0.5) / 2)  # the second partial costs both decodes


def test_a_word_first_appears_where_an_answer_holds_it_in_order():
    final = [("Go", 0.4), ("forward", 0.9), ("ten", 1.5)]
    answers = [Answer(1.0, 0.1, "Go."), Answer(2.0, 0.1, "go forward, then"), Answer(2.6, 0.1, "Go forward ten")]
    assert first_appearances(final, answers) == pytest.approx([0.7, 1.2, 1.2])


@pytest.mark.slow
def test_the_default_policy_is_what_the_handler_answers(model_dir):
    """Decoded once and policed offline == the live handler's own answer, request by request."""
    clips = load_clips(QUICK_CLIPS)
    decoded = decode_workload(model_dir, clips)
    transcriber = handler.model_fn(str(model_dir))
    default = default_policy(model_partial_confidence(model_dir))
    assert policies(default.min_confidence)[-1] == default
    requests = lca_workload.lca_workload(clips, dict(LCA_PARAMETERS))
    assert len(requests) == len(decoded)
    held = agreed = 0
    earlier: list[Decoded] = []
    for request, d in zip(requests, decoded, strict=True):
        earlier = [e for e in earlier if e.clip == d.clip]
        previous = previous_hypothesis(default, d, earlier)
        invocation = handler.input_fn(request.body, "application/json")
        live = json.loads(handler.output_fn(handler.predict_fn(invocation, transcriber), "application/json"))
        offline = shown(d, default, previous)
        assert words(lca_transcript(live) or "") == words(offline), request
        held += d.ends_in_speech and words(offline) != words(d.text or "")
        agreed += d.ends_in_speech and previous is not None
        earlier.append(d)
    assert held >= 3 and agreed >= 2  # the policy changed real answers, and the handler agreed each time


def test_kept_decodes_are_read_back_and_a_cut_run_resumes(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from bench import partial_policies

    kept = tmp_path / "decoded.jsonl"
    whole, cut = _decoded(final=True, speech=False), Decoded("jfk", False, 1.0, True, "And", (("And", 0.5, 0.9),))
    kept.write_text("".join(json.dumps(dataclasses.asdict(d)) + "\n" for d in (_decoded(), whole, cut)))
    asked = []

    def decode(model_dir, clips, sink):
        asked.extend(c.name for c in clips)
        fresh = [cut, Decoded("jfk", True, 1.6, False, "And so", (("And", 0.5, 0.9), (" so", 0.9, 0.9)))]
        for d in fresh:
            sink(d)
        return fresh

    monkeypatch.setattr(partial_policies, "decode_workload", decode)
    clips = [SimpleNamespace(name="jfk"), SimpleNamespace(name="goforward")]
    got = partial_policies.load_or_decode(kept, tmp_path, clips)
    assert asked == ["jfk"]  # only the utterance the cut run left without its final
    assert [(d.clip, d.final) for d in got] == [("jfk", False), ("jfk", True), ("goforward", False),
                                                ("goforward", True)]
    assert len(kept.read_text().splitlines()) == 4
    assert partial_policies.load_or_decode(kept, tmp_path, clips[1:]) == [_decoded(), whole]
