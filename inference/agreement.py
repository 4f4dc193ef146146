"""LocalAgreement-2: show only the words that two consecutive hypotheses agree on.

Whisper decodes a growing stretch of audio again and again, and the words near its end
change between decodes as more of them is heard. whisper_streaming (Macháček et al., 2023)
shows live only the longest common prefix of the last two hypotheses: a word that two
decodes, one second apart, put in the same place rarely changes in the final. The
streaming session uses it for its interim results; the rule lives here, once, for any
path that sees consecutive hypotheses of the same audio.

Words compare by their spelling without case or punctuation ("Clubs." agrees with
"clubs"), since Whisper re-punctuates the end of a hypothesis as it grows.

A path may add to the agreed words the ones right after them that the newest hypothesis
is sure of and heard whole (:func:`shown_with_sure_tail`): LCA's partial path does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_NOT_WORD = re.compile(r"[^\w']+")


def comparable(word: str) -> str:
    """``word`` as agreement compares it: lower case, letters, digits and apostrophes only."""
    return _NOT_WORD.sub("", word.lower())


def agreed_prefix(previous: Sequence[str], current: Sequence[str]) -> int:
    """How many leading words of ``current`` the ``previous`` hypothesis has in the same places."""
    count = 0
    for before, now in zip(previous, current, strict=False):
        if comparable(before) != comparable(now):
            break
        count += 1
    return count


def shown_with_sure_tail(agreed: int, ends: Sequence[float], probabilities: Sequence[float], cut_s: float,
                         min_probability: float, hold_back_s: float) -> int:
    """How many leading words a live partial shows: the ``agreed`` ones, then those right after
    them that the model gives at least ``min_probability`` and that end at least ``hold_back_s``
    before the audio's end at ``cut_s`` (``ends`` and ``probabilities``: every word's).

    Agreement waits a second for each word, and Whisper is rarely that unsure of a word it
    heard whole: a confident word well before the cut is shown a request sooner, while a
    half-said last word (low probability, or ending at the cut) still waits for the next
    hypothesis to confirm it.
    """
    count = agreed
    while (count < len(ends) and probabilities[count] >= min_probability
           and ends[count] <= cut_s - hold_back_s):
        count += 1
    return count
