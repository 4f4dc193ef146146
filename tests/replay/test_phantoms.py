"""Phantom words: the definitions on real transcripts, and the utterances of a replayed call."""

from __future__ import annotations

import json

import pytest

from replay.call_source import synthetic_call
from replay.clock import VirtualClock
from replay.phantoms import Utterance, call_utterances, number_words, phantom_words, tally, words
from replay.transcriber import CallTranscriber


def test_words_are_normalised_for_case_punctuation_numbers_and_hyphens():
    assert words("Five, 5 and 10 meters.") == ["five", "five", "and", "ten", "meters"]
    assert words("Press 500 or the 14th, 21st or 2nd key") == [
        "press", "five", "hundred", "or", "the", "fourteenth", "twenty", "first", "or", "second", "key"]
    assert words("self-substantial Mr. Dashwood's 1,234") == [
        "self", "substantial", "mister", "dashwood's", "one", "thousand", "two", "hundred", "thirty", "four"]
    assert number_words(90_000_017) == ["ninety", "million", "seventeen"]


def test_the_demo_calls_thank_you_partial_is_a_phantom():
    # Seen live in the demo's call: the first second of "he was not an ill disposed young man"
    assert phantom_words("Thank you very much.", "he was not an ill disposed young man",
                         "He was not an ill-disposed young man.") == ["thank", "you", "very", "much"]
    assert phantom_words(" you", "go forward ten meters", "Go forward 10 meters.") == ["you"]


def test_spelling_choices_and_words_of_the_final_are_no_phantoms():
    assert phantom_words("Five", "cards five five", "5 5") == []
    assert phantom_words("Go forward, 10", "go forward ten meters", "") == []
    # a word the final holds is no phantom even where the reference lacks it
    assert phantom_words("He was not an ill dispose", "he was not an ill disposed young man",
                         "He was not an ill dispose young man.") == []


def test_the_same_sounds_spelled_otherwise_are_no_phantoms_but_other_words_are():
    # seen in the corpus: each of these was counted as a phantom partial before
    assert phantom_words("You're about to enter", "You are about to enter an echo test") == []
    assert phantom_words("I am about to attempt", "", "I'm about to attempt") == []
    assert phantom_words("that I didn't know", "that i did not say") == ["know"]
    assert phantom_words("Using your touch tone key pad", "using your touchtone keypad") == []
    assert phantom_words("using your touchtone keypad", "using your touch tone keypad") == []
    assert phantom_words("That happened, uh, and um", "that just happened and") == []
    # a word the final changes is still one: "we'll" is not "will", "'s" has several readings
    assert phantom_words("first in line and we'll be", "first in line and will be") == ["we'll"]
    assert phantom_words("You have these options, Dau 1", "you have these options dial 1") == ["dau"]
    assert phantom_words("there's", "there was") == ["there's"]


def test_tally_counts_partials_and_finals_by_the_definition():
    utterances = [
        Utterance("he was not an ill disposed young man",
                  ["Thank you very much.", "He was not", "He was not an ill-disposed"],
                  "He was not an ill-disposed young man."),
        Utterance("go forward ten meters", ["Go forward"], "Go forward 10 meters."),
        Utterance("ten of clubs", ["you"], "Tim of clubs."),  # phantom final: "tim"
        Utterance(None, ["Thank you."], "Thanks."),  # no reference: the final is not judged
        Utterance("seven of clubs", [], ""),  # a lost final: nothing shown, nothing judged
    ]
    counted = tally(utterances)
    assert (counted.partials, counted.phantom_partials) == (6, 3)
    guessed = tally([Utterance("ten of clubs", ["10 of quotes"], "10 of clubs.")])
    assert (guessed.phantom_partials, guessed.invented_partials) == (1, 0)  # a guess at a split word
    assert (counted.finals, counted.phantom_finals) == (3, 1)
    assert counted.examples[0] == "'Thank you very much.' -> final 'He was not an ill-disposed young man.'"
    assert counted.invented_partials == 3  # every phantom here shares no word with reference or final
    assert counted.describe() == "phantom partials 3/6 (50.0 %, 3 invented), phantom finals 1/3 (33.3 %)"
    assert counted.partial_rate == pytest.approx(0.5)
    assert tally([]).partial_rate is None and tally([]).describe() == "phantom partials 0/0, phantom finals 0/0"


class HallucinatingEndpoint:
    """Says "Thank you very much." for the first second of an utterance, then what the turn said."""

    def __init__(self, clock: VirtualClock, call) -> None:
        self.clock, self.call = clock, call

    def invoke(self, body: bytes) -> dict:
        seconds = (len(json.loads(body)["audio_input"]) - 44) / 32000
        turn = max((t for t in self.call.turns if t.start_s <= self.clock.now()), key=lambda t: t.start_s)
        return {"text": "Thank you very much." if seconds < 1.3 else turn.reference}

    def close(self) -> None:
        pass


def test_a_replayed_calls_utterances_carry_their_turns_references(short_call_clips):
    call = synthetic_call(short_call_clips)
    clock = VirtualClock()
    result = CallTranscriber(HallucinatingEndpoint(clock, call), clock=clock).run(call)
    utterances = call_utterances(result)
    assert sorted(u.reference for u in utterances) == sorted(t.reference for t in call.turns)
    assert all(u.final == u.reference for u in utterances)
    counted = tally(utterances)
    first_second = sum(1 for r in result.requests if not r.final and r.audio_seconds < 1.3)
    assert first_second >= 2
    assert (counted.phantom_partials, counted.phantom_finals, counted.finals) == (first_second, 0, 3)
