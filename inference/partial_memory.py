"""Each utterance's last live hypothesis, so the next partial can agree with it.

LCA re-sends the whole growing utterance about once a second: the audio of one partial
is exactly the start of the next one's. Whisper's words near the end of a partial change
as more is heard, so a partial whose previous hypothesis is remembered here shows only
the words the two agree on (LocalAgreement-2, :mod:`.agreement`): the rule that keeps
most guesses at a half-said word off LCA's screen at no extra decoding.

A request is recognised by its audio, not by any id (LCA sends none): entries are filed
under a digest of the first ``KEY_S`` of audio, and one matches only when the digest of
the request's first ``samples`` equals the digest of the remembered audio, which is then
its prefix. Several utterances may share a key (the same first half second, such as
digital silence); each keeps its own entry.

The memory is per process and bounded in entries, bytes of remembered words and age; it
takes one lock per lookup, the hashing done outside it. SageMaker routes each request of
an utterance to any instance, so one may land where nothing is remembered: the caller
then falls back to the per-request policy (:mod:`.cut_word`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .audio import SAMPLE_RATE

KEY_S = 0.5  # the leading audio that files an entry; LCA's first partial carries about a second
MAX_ENTRIES = 1024  # utterances remembered at once: far more than one instance's live calls x 2 channels
MAX_BYTES = 1 << 20  # remembered words' text, plus ENTRY_BYTES per entry
ENTRY_BYTES = 128
MAX_AGE_S = 30.0  # LCA sends a partial about once a second; an utterance past 30 s is not live any more


@dataclass(frozen=True)
class _Entry:
    samples: int
    digest: bytes
    words: tuple[str, ...]
    stored: float

    @property
    def size(self) -> int:
        return ENTRY_BYTES + sum(len(w) for w in self.words)


def _digest(audio: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(audio).tobytes(), digest_size=16).digest()


class PartialMemory:
    """The last hypothesis of each live utterance, found again by the audio of its next partial."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES, max_age_s: float = MAX_AGE_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries, self.max_bytes, self.max_age_s = max_entries, max_bytes, max_age_s
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[bytes, list[_Entry]] = OrderedDict()  # key -> entries, least recent key first
        self._count = 0
        self._bytes = 0

    def __len__(self) -> int:
        return self._count

    @property
    def bytes(self) -> int:
        """What the remembered entries count against ``max_bytes``."""
        return self._bytes

    def previous(self, audio: np.ndarray) -> tuple[str, ...] | None:
        """The words of the remembered hypothesis whose audio is the longest prefix of ``audio``
        (``None``: nothing remembered for it)."""
        prefixes = self._prefixes(audio)
        return max(prefixes, key=lambda e: e.samples).words if prefixes else None

    def remember(self, audio: np.ndarray, words: Sequence[str]) -> None:
        """Keep ``words`` as the hypothesis for ``audio``, replacing its utterance's earlier ones."""
        entry = _Entry(len(audio), _digest(audio), tuple(words), self._clock())
        key = self._key(audio)
        if key is None or entry.size > self.max_bytes:
            return
        superseded = self._prefixes(audio)
        with self._lock:
            self._remove(key, superseded)
            self._entries.setdefault(key, []).append(entry)
            self._entries.move_to_end(key)
            self._count += 1
            self._bytes += entry.size
            while self._count > self.max_entries or self._bytes > self.max_bytes:
                self._drop_least_recent()

    @staticmethod
    def _key(audio: np.ndarray) -> bytes | None:
        lead = int(KEY_S * SAMPLE_RATE)
        return _digest(audio[:lead]) if len(audio) >= lead else None

    def _prefixes(self, audio: np.ndarray) -> list[_Entry]:
        """The live entries whose audio is a prefix of ``audio`` (hashed outside the lock)."""
        key = self._key(audio)
        if key is None:
            return []
        with self._lock:
            self._expire()
            candidates = [e for e in self._entries.get(key, ()) if e.samples <= len(audio)]
        return [e for e in candidates if _digest(audio[:e.samples]) == e.digest]

    def _remove(self, key: bytes | None, entries: list[_Entry]) -> None:
        """Drop ``entries`` of ``key`` if still there (under the lock)."""
        present = self._entries.get(key, [])
        kept = [e for e in present if not any(e is gone for gone in entries)]
        self._count -= len(present) - len(kept)
        self._bytes -= sum(e.size for e in present) - sum(e.size for e in kept)
        if kept:
            self._entries[key] = kept
        else:
            self._entries.pop(key, None)

    def _expire(self) -> None:
        """Drop the keys whose newest entry is older than ``max_age_s`` (under the lock)."""
        limit = self._clock() - self.max_age_s
        while self._entries and max(e.stored for e in next(iter(self._entries.values()))) < limit:
            self._drop_least_recent()

    def _drop_least_recent(self) -> None:
        _, entries = self._entries.popitem(last=False)
        self._count -= len(entries)
        self._bytes -= sum(e.size for e in entries)
