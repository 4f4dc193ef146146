"""One channel of a streaming session: audio in; speech events, interim and final words out.

The channel keeps the audio of the utterance in progress (from the end of the last final)
and decides, as audio arrives, what to decode next; the session runs the decodes and
hands the words back. No model here, so every rule is testable on its own:

* **Endpointing**: Silero VAD (the model faster-whisper ships) marks each 32 ms frame as
  speech or not. Once speech has been heard and ``endpointing_s`` of silence follows it,
  the utterance is decoded whole and sent as final (``speech_final``).
* **An unsure final waits**: when the endpoint's decode is unsure by the model's own measure
  (the gate interims use), the final waits up to ``UNSURE_WAIT_S`` more of silence, and
  speech resuming meanwhile continues the same utterance. A sentence with pauses in it ("And
  so, my fellow Americans, ... ask not") is then decoded whole, as LCA's client decodes it;
  its first half alone was misheard ("And so am I fellow Americans", 0.35 on "am"). A final
  the model is sure of is sent at the endpoint, so most turns keep their latency.
* **Interim results**: while speech goes on, the utterance is decoded again after every
  ``STEP_S`` of new audio; only the words the last two hypotheses agree on are shown
  (:mod:`.agreement`), and not when they are unsure by the model's own measure (the
  deployment's ``WHISPER_MIN_PARTIAL_CONFIDENCE``, as for LCA's partials): two decodes of
  an utterance's first second can agree on the same misreading ("I'd less to be" for
  "Unless to be").
* **Long turns**: when the utterance reaches ``COMMIT_S`` without a pause, its agreed words
  become final (``is_final`` without ``speech_final``) and the audio before the last of
  them is dropped, so a 30-minute call costs what a 30-second one does. One that reaches
  ``MAX_UTTERANCE_S`` with nothing agreed is final whole.
* A final never takes back a word already final: each final covers only audio after the
  previous one, and drops only the audio it decoded.
* Silence before speech is dropped as it arrives (but ``PRE_ROLL_S`` before the first speech
  frame), so a quiet channel costs no decoding. The same cut is made when a final lands: the
  session decides a final only when its channel has no decode running, and under load it
  lands seconds after the endpoint, when the next utterance may have begun; the next final
  then decodes the same audio as on an idle server.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from faster_whisper.vad import get_vad_model

from .agreement import agreed_prefix
from .audio import SAMPLE_RATE
from .cut_word import SPEECH_PROBABILITY, VAD_CONTEXT_FRAMES, VAD_FRAME, below_confidence

STEP_S = 1.0  # new audio between two interim decodes: LCA's partial rhythm
COMMIT_S = 15.0  # an utterance this long commits its agreed words and is trimmed behind them
MAX_UTTERANCE_S = 28.0  # one still this long (no agreement yet) is final whole: Whisper's window is 30 s
# Audio kept before the first speech frame. Silero's probability crosses its threshold a few
# frames into a soft onset ("and so", "four queen"), so the word's start lies before that frame:
# with 0.3 s, the benchmark's calls lost or misheard such first words (finals 9.0 % WER, LCA's
# 4.1 %); 0.7 s gave 7.0 % there and 4.4 % against 4.8 % on the corpus (bench/RESULTS.md).
PRE_ROLL_S = 0.7
TAIL_S = 0.3  # audio a final keeps after its last speech frame: silence beyond invites "Thank you."
# More silence an unsure endpoint's final waits for. JFK's pauses inside a sentence are 0.8-1 s:
# with the 500 ms endpoint, 0.5 s more (1 s in all) split it as before, 0.7 s joined it, 1 s only
# added latency; with the 400 ms endpoint, 0.8 s keeps the same 1.2 s in all.
UNSURE_WAIT_S = 0.8


@dataclass(frozen=True)
class Word:
    """A word on the stream's clock (seconds since the session's first sample)."""

    text: str
    start: float
    end: float
    confidence: float


@dataclass(frozen=True)
class Transcript:
    """Words to send: an interim (``is_final`` false) or a final, covering ``start`` .. ``end``."""

    channel: int
    words: tuple[Word, ...]
    is_final: bool
    speech_final: bool
    start: float
    end: float
    from_finalize: bool = False


@dataclass(frozen=True)
class SpeechStarted:
    channel: int
    timestamp: float


@dataclass(frozen=True)
class UtteranceEnd:
    channel: int
    last_word_end: float


@dataclass(frozen=True)
class Snapshot:
    """The audio one decode works on: samples ``start`` .. ``end`` of the stream."""

    audio: np.ndarray
    start: int
    end: int
    final: bool
    speech_final: bool = False
    from_finalize: bool = False
    last_speech_frame: int = -1  # the channel's last speech frame when the snapshot was taken

    @property
    def decoded_end(self) -> int:
        """The stream sample after the last one decoded (a final's audio stops short of ``end``)."""
        return self.start + len(self.audio)


class _Vad:
    """Silero over a stream: a speech flag for each whole 32 ms frame as it completes."""

    def __init__(self) -> None:
        self._tail = np.zeros(0, np.float32)  # the last frames, for context
        self._partial = np.zeros(0, np.float32)  # samples short of a whole frame
        self.frames = 0  # frames flagged so far

    def feed(self, samples: np.ndarray) -> list[bool]:
        """The flags of the frames ``samples`` complete."""
        audio = np.concatenate([self._partial, samples])
        whole = len(audio) // VAD_FRAME * VAD_FRAME
        self._partial = audio[whole:]
        if not whole:
            return []
        window = np.concatenate([self._tail, audio[:whole]])
        probabilities = get_vad_model()(np.ascontiguousarray(window, dtype=np.float32)).reshape(-1)
        self._tail = window[-VAD_FRAME * VAD_CONTEXT_FRAMES:]
        self.frames += whole // VAD_FRAME
        return [bool(p >= SPEECH_PROBABILITY) for p in probabilities[-(whole // VAD_FRAME):]]


@dataclass
class Channel:
    """One transcribed channel; see the module docstring for the rules."""

    index: int
    endpointing_s: float | None
    interim_results: bool
    utterance_end_s: float | None = None
    vad_events: bool = False
    min_confidence: float = 0.0  # words' geometric-mean probability below which they are unsure
    audio: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    offset: int = 0  # stream sample index of audio[0]
    received: int = 0  # samples received so far
    decoded_to: int = 0  # end of the audio the last decode saw
    previous: list[Word] = field(default_factory=list)  # the last hypothesis, for agreement
    shown: tuple[str, ...] = ()  # the interim words last sent
    last_word_end: float | None = None  # of the last final word not yet followed by an UtteranceEnd
    held: tuple[Snapshot, list[Word]] | None = None  # an unsure final waiting for more speech
    _vad: _Vad = field(default_factory=_Vad)
    _last_speech_frame: int = -1
    _silent_frames: int = 0
    _runs: list[list[int]] = field(default_factory=list)  # [first, last] frames of the speech runs kept

    # -- audio in ------------------------------------------------------------------------------
    def feed(self, samples: np.ndarray) -> list:
        """Append 16 kHz float32 ``samples``; what they cause: speech events, and an unsure final
        once its wait runs out with no more speech (a :class:`Transcript`)."""
        events: list = []
        self.audio = np.concatenate([self.audio, samples])
        self.received += len(samples)
        first = self._vad.frames
        for frame, speech in enumerate(self._vad.feed(samples), first):
            if speech and self._last_speech_frame != frame - 1:  # an onset
                self._runs.append([frame, frame])
                if self.vad_events:
                    events.append(SpeechStarted(self.index, frame * VAD_FRAME / SAMPLE_RATE))
            if speech:
                self._runs[-1][1] = frame
                self._last_speech_frame, self._silent_frames = frame, 0
            else:
                self._silent_frames += 1
        if not self.heard_speech:
            self._drop_before(self.received - int(PRE_ROLL_S * SAMPLE_RATE))
        if self.held is not None:
            snap, words = self.held
            if self._last_speech_frame > snap.last_speech_frame:  # the utterance goes on
                self.held = None
            elif self.silence_s >= self.endpointing_s + UNSURE_WAIT_S:
                events.append(self._finish(words, snap.decoded_end, speech_final=True, from_finalize=False))
        if (self.utterance_end_s is not None and self.last_word_end is not None
                and self.received / SAMPLE_RATE - self.last_word_end >= self.utterance_end_s
                and self.silence_s >= self.utterance_end_s):
            events.append(UtteranceEnd(self.index, self.last_word_end))
            self.last_word_end = None
        return events

    @property
    def heard_speech(self) -> bool:
        """Whether the audio kept holds a speech frame."""
        return self._last_speech_frame >= self.offset // VAD_FRAME

    @property
    def silence_s(self) -> float:
        """How long the audio has been silent (trailing non-speech frames)."""
        return self._silent_frames * VAD_FRAME / SAMPLE_RATE

    # -- what to decode ------------------------------------------------------------------------
    def due(self, interim: bool = True) -> Snapshot | None:
        """The next decode this channel needs now, or None; only a final where not ``interim``."""
        if not self.heard_speech or self.held is not None:
            return None
        if self.endpointing_s is not None and self.silence_s >= self.endpointing_s:
            return self.snapshot(final=True, speech_final=True)
        if len(self.audio) >= MAX_UTTERANCE_S * SAMPLE_RATE:
            return self.snapshot(final=True)
        new_audio = (self.received - max(self.decoded_to, self.offset)) / SAMPLE_RATE
        long_turn = len(self.audio) >= COMMIT_S * SAMPLE_RATE
        if interim and (self.interim_results or long_turn) and new_audio >= STEP_S:
            return self.snapshot(final=False)
        return None

    def finalize(self) -> Snapshot | None:
        """The decode that makes everything heard so far final (a ``Finalize`` or the stream's end)."""
        return self.snapshot(final=True, from_finalize=True) if self.heard_speech else None

    def snapshot(self, final: bool, speech_final: bool = False, from_finalize: bool = False) -> Snapshot:
        self.decoded_to = self.received
        audio = self.audio
        if final:  # the silence after the last word holds nothing to decode but Whisper's inventions
            speech_end = (self._last_speech_frame + 1) * VAD_FRAME + int(TAIL_S * SAMPLE_RATE)
            audio = audio[:max(speech_end - self.offset, 0)]
        return Snapshot(audio.copy(), self.offset, self.received, final, speech_final, from_finalize,
                        self._last_speech_frame)

    # -- words back ----------------------------------------------------------------------------
    def decoded(self, snap: Snapshot, words: list[Word]) -> list[Transcript]:
        """The transcripts a decode of ``snap`` gives (words on the stream's clock)."""
        if snap.start != self.offset:  # a final moved the utterance on meanwhile: stale hypothesis
            return []
        if snap.final:
            if snap.speech_final and below_confidence([w.confidence for w in words], self.min_confidence):
                if self._last_speech_frame > snap.last_speech_frame:  # it went on while this decoded
                    return []
                if self.silence_s < self.endpointing_s + UNSURE_WAIT_S:
                    self.held = (snap, words)
                    return []
            return [self._finish(words, snap.decoded_end, snap.speech_final, snap.from_finalize)]
        agreed = agreed_prefix([w.text for w in self.previous], [w.text for w in words])
        self.previous = list(words)
        if len(snap.audio) >= COMMIT_S * SAMPLE_RATE and agreed:
            return [self._commit(words[:agreed])]
        shown = tuple(w.text for w in words[:agreed])
        unsure = below_confidence([w.confidence for w in words[:agreed]], self.min_confidence)
        if not self.interim_results or not shown or shown == self.shown or unsure:
            return []
        self.shown = shown
        return [Transcript(self.index, tuple(words[:agreed]), False, False, self.offset / SAMPLE_RATE,
                           words[agreed - 1].end)]

    def _commit(self, words: list[Word]) -> Transcript:
        """A long turn's agreed words, final; the utterance goes on from the last one's end."""
        cut = int(words[-1].end * SAMPLE_RATE)
        start = self.offset / SAMPLE_RATE
        self._drop_before(cut)
        self.previous = [w for w in self.previous if w.start >= words[-1].end]
        self._remember(words)
        return Transcript(self.index, tuple(words), True, False, start, words[-1].end)

    def _finish(self, words: list[Word], end: int, speech_final: bool, from_finalize: bool) -> Transcript:
        """The utterance's final: everything decoded up to ``end``, which the utterance then drops,
        with the silence after it (but ``PRE_ROLL_S`` before the next utterance's first speech frame)."""
        start = self.offset / SAMPLE_RATE
        self._drop_before(end)
        self._drop_silence()
        self.previous, self.held = [], None
        self._remember(words)
        return Transcript(self.index, tuple(words), True, speech_final, start, end / SAMPLE_RATE, from_finalize)

    def _remember(self, words: list[Word]) -> None:
        self.shown = ()
        if words:
            self.last_word_end = words[-1].end

    def _drop_silence(self) -> None:
        """After a final: forget the audio more than ``PRE_ROLL_S`` before the first speech frame
        kept (before the last sample, while the audio kept has none), as ``feed`` does as it goes."""
        speech = next((max(first * VAD_FRAME, self.offset) for first, _ in self._runs), self.received)
        self._drop_before(speech - int(PRE_ROLL_S * SAMPLE_RATE))

    def _drop_before(self, sample: int) -> None:
        """Forget the audio before stream sample ``sample`` (never audio not yet received)."""
        drop = min(max(sample - self.offset, 0), len(self.audio))
        if drop:
            self.audio = self.audio[drop:]
            self.offset += drop
            self._runs = [run for run in self._runs if (run[1] + 1) * VAD_FRAME > self.offset]
