"""Word error rate with the light normalisation needed to compare Whisper output
with plain lower-case references (punctuation, case, spelled-out numbers)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import jiwer

_NUMBER_WORDS = {
    "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five",
    "6": "six", "7": "seven", "8": "eight", "9": "nine", "10": "ten",
    "11": "eleven", "12": "twelve",
}
_SPELLINGS = {"mr": "mister", "mrs": "missus"}


def normalise(text: str) -> str:
    words = re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()
    words = [_SPELLINGS.get(w, _NUMBER_WORDS.get(w, w)).strip("'") for w in words]
    return " ".join(w for w in words if w)


def wer(references: Iterable[str], hypotheses: Iterable[str]) -> float:
    """Corpus WER: total edits over total reference words."""
    refs = [normalise(r) for r in references]
    hyps = [normalise(h) for h in hypotheses]
    return jiwer.wer(refs, hyps)
