"""How long after a word is said it first shows live, on LCA's request stream.

A word's end comes from the final's word timings (the final carries the whole
utterance, so its clock is the partials' clock). It first shows in the earliest answer,
partial or final, whose text holds it in the final's order (``difflib``'s matching
blocks of the two word sequences, compared as :func:`inference.agreement.comparable`
spells them). That answer shows once LCA has sent its request, which it does when the
audio reaches the request's length, and the handler has answered: the delay is the
request's audio length plus its measured decode time, less the word's end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from inference.agreement import comparable


@dataclass(frozen=True)
class Answer:
    """One answer of an utterance as LCA shows it: when its request was sent (audio seconds),
    how long it took, and the text shown (empty: nothing new)."""

    sent_s: float
    took_s: float
    text: str


def _spelled(text: str) -> list[str]:
    return [w for w in (comparable(t) for t in text.split()) if w]


def first_appearances(final_words: Sequence[tuple[str, float]], answers: Sequence[Answer]) -> list[float]:
    """For each ``(word, end)`` of the final, the delay from its end to the first answer showing it.

    ``answers`` are the utterance's partials in order, then its final (which shows every word).
    """
    wanted = [comparable(w) for w, _ in final_words]
    shown_at: list[float | None] = [None] * len(wanted)
    for answer in answers:
        matcher = SequenceMatcher(None, _spelled(answer.text), wanted, autojunk=False)
        for block in matcher.get_matching_blocks():
            for index in range(block.b, block.b + block.size):
                if shown_at[index] is None:
                    shown_at[index] = answer.sent_s + answer.took_s
    last = answers[-1].sent_s + answers[-1].took_s if answers else 0.0
    return [(at if at is not None else last) - end for at, (_, end) in zip(shown_at, final_words, strict=True)]
