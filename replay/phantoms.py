"""Phantom words: text shown live that nobody said.

Definitions (the replay report, the demo summary and ``bench`` count with these):

* A **result** is one non-empty transcript LCA emits for an utterance: a partial
  (``IsPartial`` true, re-sent about once a second while the utterance grows) or its
  final. Empty answers are no results (LCA shows nothing for them).
* A result's **words** are its text after :func:`words`: lower case, punctuation
  dropped, hyphens split ("self-substantial" -> "self", "substantial"), and numbers
  written as words ("5" -> "five", "500" -> "five hundred", "14th" -> "fourteenth",
  "Mr" -> "mister"), so spelling choices are no phantoms.
* A result's word is **heard** in a text when that text holds it, or says it otherwise
  with the same sounds: a compound written in two words or one ("key pad", "keypad"),
  a contraction with one reading written out ("you're", "you are"; not "'s" or "'d",
  which have several), or a filler that references leave out ("uh", "um": the fillers
  Whisper's own English normaliser drops before scoring).
* A **phantom partial** is a partial holding at least one word heard neither in the
  utterance's reference transcript nor in the utterance's final (an empty final, or an
  unknown reference, contributes no words).
* An **invented partial** is a phantom partial none of whose words is in the reference or
  the final: text made up from nothing, typically on the silence or noise of an
  utterance's first fraction of a second (the other phantom partials mostly guess at a
  word the partial's cut splits: "10 of quotes" before "10 of clubs").
* A **phantom final** is a final holding at least one word not in the utterance's
  reference; finals are judged only where the reference is known.

So a partial "Thank you very much." shown before the final "Hello, this is Jane." of an
utterance whose reference is "hello this is jane" is a phantom ("thank", "very",
"much"); "Five cards" before the final "5 cards" is not, nor is "I'm about to" before
"I am about to". A phantom final is a final with an inserted or substituted word: the
wider measure of words nobody said.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
             "nine": "ninth", "twelve": "twelfth"}
_SPELLINGS = {"mr": "mister", "mrs": "missus", "dr": "doctor", "ok": "okay"}
_CONTRACTIONS = (("n't", "not"), ("'re", "are"), ("'ve", "have"), ("'ll", "will"), ("'m", "am"))
_IRREGULAR = {"won't": ["will", "not"], "can't": ["can", "not"]}
_FILLERS = frozenset({"hmm", "mm", "mhm", "mmm", "uh", "um"})
_TOKEN = re.compile(r"[a-z0-9']+")
_NUMBER = re.compile(r"(\d+)(st|nd|rd|th)?")


def number_words(n: int) -> list[str]:
    """``n`` (0 <= n < 10**9) spelled as words, without "and": 512 -> five hundred twelve."""
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    for size, name in ((10**6, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            head, rest = divmod(n, size)
            return number_words(head) + [name] + (number_words(rest) if rest else [])
    raise AssertionError("unreachable")


def _ordinal(word: str) -> str:
    if word in _ORDINALS:
        return _ORDINALS[word]
    return word[:-1] + "ieth" if word.endswith("y") else word + "th"


def _expand(token: str) -> list[str]:
    match = _NUMBER.fullmatch(token)
    if not match or len(match.group(1)) > 9:
        return [_SPELLINGS.get(token, token)]
    spelled = number_words(int(match.group(1)))
    if match.group(2):
        spelled[-1] = _ordinal(spelled[-1])
    return spelled


def words(text: str) -> list[str]:
    """A transcript's words, normalised as the module docstring says."""
    tokens = _TOKEN.findall(text.lower().replace("-", " ").replace(",", ""))
    return [w for token in tokens for w in _expand(token.strip("'")) if w]


def spoken(word: str) -> list[str]:
    """``word`` with a contraction of one reading written out: "you're" -> ["you", "are"]."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    for suffix, full in _CONTRACTIONS:
        if word.endswith(suffix) and len(word) > len(suffix):
            return [word[:-len(suffix)], full]
    return [word]


def _heard(text: str) -> set[str]:
    """Every spelling of the words of ``text`` that a result may use (the module docstring's "heard")."""
    said = words(text)
    return {*said, *(a + b for a, b in zip(said, said[1:], strict=False)), *(s for w in said for s in spoken(w))}


def phantom_words(result: str, *allowed: str | None) -> list[str]:
    """The words of ``result`` heard in none of the ``allowed`` texts (``None`` ones skipped)."""
    known = {w for text in allowed if text for w in _heard(text)}
    shown = words(result)
    joined = [a + b for a, b in zip(shown, shown[1:], strict=False)]  # joined[i]: word i and the next

    def heard(i: int, word: str) -> bool:
        return (word in _FILLERS or all(s in known for s in spoken(word))
                or (i > 0 and joined[i - 1] in known) or (i < len(joined) and joined[i] in known))

    return [w for i, w in enumerate(shown) if not heard(i, w)]


@dataclass(frozen=True)
class Utterance:
    """What LCA showed for one utterance.

    Attributes:
        reference: what was said; ``None`` when unknown (a user's recording).
        partials: the non-empty partial transcripts, in order.
        final: the final transcript ("" when LCA emitted none).
    """

    reference: str | None
    partials: Sequence[str]
    final: str


@dataclass(frozen=True)
class PhantomTally:
    """Phantom counts over many utterances.

    Attributes:
        partials / phantom_partials: partial results, and how many were phantoms.
        invented_partials: phantom partials with no word of the reference or final.
        finals / phantom_finals: finals judged (non-empty, reference known), and phantoms.
        examples: the first few phantom partials, as ``"partial" -> final "final"``.
    """

    partials: int
    phantom_partials: int
    finals: int
    phantom_finals: int
    examples: tuple[str, ...] = ()
    invented_partials: int = 0

    @property
    def partial_rate(self) -> float | None:
        return self.phantom_partials / self.partials if self.partials else None

    @property
    def final_rate(self) -> float | None:
        return self.phantom_finals / self.finals if self.finals else None

    def describe(self) -> str:
        """One line: "phantom partials 2/53 (3.8 %, 1 invented), phantom finals 1/18 (5.6 %)"."""
        def part(name: str, n: int, total: int, extra: str = "") -> str:
            return f"{name} {n}/{total}" + (f" ({100 * n / total:.1f} %{extra})" if total else "")
        return (part("phantom partials", self.phantom_partials, self.partials,
                     f", {self.invented_partials} invented") + ", "
                + part("phantom finals", self.phantom_finals, self.finals))


def tally(utterances: Iterable[Utterance], max_examples: int = 5) -> PhantomTally:
    """Count phantom partials and phantom finals as the module docstring defines them."""
    partials = phantom_partials = invented = finals = phantom_finals = 0
    examples: list[str] = []
    for u in utterances:
        for text in u.partials:
            partials += 1
            phantoms = phantom_words(text, u.reference, u.final)
            if phantoms:
                phantom_partials += 1
                invented += len(phantoms) == len(words(text))
                if len(examples) < max_examples:
                    examples.append(f"{text!r} -> final {u.final!r}")
        if u.final and u.reference is not None:
            finals += 1
            phantom_finals += bool(phantom_words(u.final, u.reference))
    return PhantomTally(partials, phantom_partials, finals, phantom_finals, tuple(examples), invented)


def call_utterances(result) -> list[Utterance]:
    """A replayed call's utterances (``replay.transcriber.CallResult``), with their references.

    An utterance is the requests of one channel's SegmentId. Its reference is the scripted
    turn of that channel, among those begun before its last request was sent, that shares
    the most words with what it was transcribed as (final, else partials): request times
    are the call's clock, which runs ahead of the audio when requests lag, so time alone
    cannot place an utterance. No such turn (the VAD opened on noise, or nothing was
    transcribed): "" (every word is a phantom). A call without a script: ``None``.
    """
    groups: dict[tuple[int, str], list] = {}
    for request in result.requests:
        groups.setdefault((request.channel, request.segment_id), []).append(request)
    finals = {(f.channel, f.segment_id): f.text for f in result.finals}
    utterances = []
    for (channel, segment_id), requests in groups.items():
        final = finals.get((channel, segment_id), "")
        partials = [r.text for r in requests if not r.final and r.text]
        reference = None
        if result.call.turns:
            heard = set(words(final or " ".join(partials)))
            sent = max(r.sent_at for r in requests)
            shared = [(len(heard & set(words(t.reference))), t.start_s, t.reference)
                      for t in result.call.turns if t.channel == channel and t.start_s <= sent]
            best = max(shared, default=(0, 0.0, ""))
            reference = best[2] if best[0] else ""
        utterances.append(Utterance(reference, partials, final))
    return utterances
