"""What a live partial shows: the words two growing partials agree on, else all but the
cut word; and nothing when those words are unsure.

LCA re-sends a growing utterance about once a second while someone speaks, so most
partials end in the middle of a word. Whisper then guesses at the half-said word ("10
of quotes" before the final "10 of clubs"), and LCA shows the guess live. When the audio
ends in speech, the last word, and any other ending in the last ``HOLD_BACK_S``, is
left out of the answer: the next partial, or the final (sent after LCA has heard
silence), carries them whole.

What is left can still be a guess made with too little context ("I'd less to be" before
"Unless to be", "Thank you." on an utterance's first breath). Such a partial's words are
unlikely by the model's own measure: when their geometric-mean probability is below the
request's ``min_partial_confidence``, the answer is empty. LCA shows nothing new for an
empty partial (the last one stays on screen), and the final says it all.

Where the utterance's previous partial reached this instance, its hypothesis is remembered
(:mod:`.partial_memory`) and the partial shows only the words both hypotheses agree on
(LocalAgreement-2, :mod:`.agreement`) instead of the hold-back: a guess at a half-said
word rarely survives a second more of audio. The words right after the agreed ones are
shown too while the model gives each at least ``TAIL_PROBABILITY`` (0.9) and each ends
``HOLD_BACK_S`` before the cut: they would otherwise wait a second for the next partial.
The confidence gate applies to either.

"Ends in speech" is Silero VAD's (the model faster-whisper ships) speech probability over
the last frames of the audio. A final ends in LCA's hang-over silence, longer than those
frames, so it is answered in full. Not always: Silero still hears speech in part of the
hang-over, and of the finals LCA's WebSocket client (270 ms hang-over) cuts from the speech
corpus, 2-3 in ~440 end in under ~100 ms of non-speech by Silero and are taken for partials
(``python -m bench.final_pauses``). A longer edge would confuse more such finals for every
phantom partial it saves, so it stays at ~100 ms; of the Lambda's finals (600 ms) only two
1-2 s pieces of noisy recordings fall short of it.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from faster_whisper.vad import get_vad_model

from .agreement import agreed_prefix, shown_with_sure_tail
from .config import PARTIAL_TAIL_PROBABILITY

# Silero's settings, shared with the streaming session's endpointing (stream_channel.py)
VAD_FRAME = 512  # Silero's frame at 16 kHz: 32 ms
VAD_CONTEXT_FRAMES = 31  # ~1 s before the frames that matter, for the model's state to settle
SPEECH_PROBABILITY = 0.5  # Silero's own default threshold
_EDGE_FRAMES = 3  # the last ~100 ms decide
# Words ending this close to the cut are held back too: Whisper often splits a cut word
# into two ("Go for it" for "Go forward"). Measured on LCA's partials of the speech
# corpus, against holding back the last word only: phantom partials 7.1 % -> 4.5 %, for
# 4 % fewer words shown; probability thresholds cost far more words for less.
HOLD_BACK_S = 0.2
# The probability the unconfirmed words after the agreed ones need to be shown (the
# deployment's WHISPER_PARTIAL_TAIL_PROBABILITY; how it was chosen: config.py)
TAIL_PROBABILITY = PARTIAL_TAIL_PROBABILITY


def ends_in_speech(audio: np.ndarray) -> bool:
    """Whether speech is still going on in the last ~100 ms of ``audio`` (16 kHz float32)."""
    if len(audio) < _EDGE_FRAMES * VAD_FRAME:
        return False
    tail = audio[-VAD_FRAME * VAD_CONTEXT_FRAMES:]
    tail = np.pad(tail, ((-len(tail)) % VAD_FRAME, 0))  # whole frames, the last one ending with the audio
    probabilities = get_vad_model()(np.ascontiguousarray(tail, dtype=np.float32)).reshape(-1)
    return bool(probabilities[-_EDGE_FRAMES:].max() >= SPEECH_PROBABILITY)


def unsure(segments: list, min_confidence: float) -> bool:
    """Whether the words of ``segments`` have a geometric-mean probability below ``min_confidence``.

    Chosen on LCA's partials of the whole speech corpus (``python -m bench.partial_policies``:
    1,126 partial requests of 403 utterances), against the hold-back alone: phantom partials
    10.0 % -> 7.6 %, invented ones 19 -> 3, for 6 % fewer words shown. Cutting at the first
    word below 0.5 instead reaches 5.2 % but shows 42 % fewer words than showing everything
    (2.5 times the words per point gained): most partials that turn out wrong are unsure
    throughout, most right ones only in places.
    """
    return below_confidence([w.probability for s in segments for w in (s.words or [])], min_confidence)


def below_confidence(probabilities: list[float], min_confidence: float) -> bool:
    """Whether the geometric mean of ``probabilities`` is below ``min_confidence`` (none: no)."""
    if not probabilities or min_confidence <= 0:
        return False
    mean_log = sum(math.log(max(p, 1e-9)) for p in probabilities) / len(probabilities)
    return mean_log < math.log(min_confidence)


def words_to_keep(ends: list[float], cut_s: float, hold_back_s: float = HOLD_BACK_S) -> int:
    """How many of the words ending at ``ends`` stay: all but the last, less those ending
    within ``hold_back_s`` of the cut."""
    keep = max(len(ends) - 1, 0)
    while keep and ends[keep - 1] > cut_s - hold_back_s:
        keep -= 1
    return keep


def hypothesis(segments: list) -> list[str]:
    """The words of ``segments`` (word timings on), as agreement compares them."""
    return [w.word for s in segments for w in (s.words or [])]


def agree(segments: list, previous: list[str] | tuple[str, ...], decode, cut_s: float | None = None,
          tail_probability: float = TAIL_PROBABILITY) -> list:
    """``segments`` cut to the words the ``previous`` hypothesis has in the same places, and,
    given the audio's end ``cut_s``, the sure words after them (:func:`.agreement.shown_with_sure_tail`;
    ``tail_probability`` 1: none; word timings needed; ``decode`` as for :func:`hold_back`)."""
    words = [w for s in segments for w in (s.words or [])]
    keep = agreed_prefix(previous, [w.word for w in words])
    if cut_s is not None and tail_probability < 1:
        keep = shown_with_sure_tail(keep, [w.end for w in words], [w.probability for w in words], cut_s,
                                    tail_probability, HOLD_BACK_S)
    return _first_words(segments, keep, decode)


def hold_back(segments: list, decode, cut_s: float) -> list:
    """``segments`` without the words that end within ``HOLD_BACK_S`` of the cut at ``cut_s``,
    and without the last word in any case.

    Needs the segments' word timings; without them only the last word goes. ``decode``
    turns token ids into text (the model's tokenizer): the trimmed segment keeps the
    tokens that spell what is left, so ``text`` and ``tokens`` still agree.
    """
    words = [w for s in segments for w in (s.words or [])]
    if not words:
        return _without_last_text_word(segments, decode)
    return _first_words(segments, words_to_keep([w.end for w in words], cut_s), decode)


def _first_words(segments: list, keep: int, decode) -> list:
    """The first ``keep`` words of ``segments``, segments trimmed to match."""
    out = []
    for segment in segments:
        if keep <= 0:
            break
        kept = (segment.words or [])[:keep]
        keep -= len(segment.words or [])
        if kept and len(kept) == len(segment.words):
            out.append(segment)
        elif kept:
            text = "".join(w.word for w in kept)
            out.append(dataclasses.replace(segment, text=text, words=kept, end=kept[-1].end,
                                           tokens=_prefix_spelling(segment.tokens, text.strip(), decode)))
    return out


def _without_last_text_word(segments: list, decode) -> list:
    for index in range(len(segments) - 1, -1, -1):
        kept = segments[index].text.split()
        if kept:
            break
    else:
        return segments
    text = " ".join(kept[:-1])
    if not text:
        return segments[:index]
    segment = segments[index]
    trimmed = dataclasses.replace(segment, text=" " + text, tokens=_prefix_spelling(segment.tokens, text, decode))
    return [*segments[:index], trimmed]


def _prefix_spelling(tokens: list[int], text: str, decode) -> list[int]:
    """The longest prefix of ``tokens`` whose text is ``text`` or the start of it."""
    for length in range(len(tokens), -1, -1):
        spelled = decode(tokens[:length]).strip()
        if text.startswith(spelled) and (len(spelled) == len(text) or text[len(spelled):][:1] in " "):
            return list(tokens[:length])
    return []
