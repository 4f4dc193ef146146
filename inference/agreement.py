"""LocalAgreement-2: show only the words that two consecutive hypotheses agree on.

Whisper decodes a growing stretch of audio again and again, and the words near its end
change between decodes as more of them is heard. whisper_streaming (Macháček et al., 2023)
shows live only the longest common prefix of the last two hypotheses: a word that two
decodes, one second apart, put in the same place rarely changes in the final. The
streaming session uses it for its interim results; the rule lives here, once, for any
path that sees consecutive hypotheses of the same audio.

Words compare by their spelling without case or punctuation ("Clubs." agrees with
"clubs"), since Whisper re-punctuates the end of a hypothesis as it grows.
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
