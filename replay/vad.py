"""LCA's per-channel voice activity segmentation (``processChannelVAD`` without the requests).

The WebRTC VAD (node-vad in LCA, ``webrtcvad`` here: the same C library) in AGGRESSIVE
mode classifies fixed frames. A voiced frame opens an utterance (new segment id, start
time) or extends it; silence inside an utterance is kept until ``silence_frames``
consecutive silent frames, which close it and ask for the final transcription. The
utterance buffer is *not* cleared when it closes, only when the next one opens: LCA's
periodic timer may re-send it (see ``ChannelSegmenter.partial_audio``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np
import webrtcvad

from replay.flavours import Flavour

VAD_MODE_AGGRESSIVE = 2  # node-vad's VAD.Mode.AGGRESSIVE


@dataclass(frozen=True)
class FinalDue:
    """The hang-over expired: LCA sends the utterance for its final transcription now.

    Attributes:
        audio: the utterance's buffered samples (buffer rate).
        segment_id: LCA's ResultId for the utterance (its SegmentId on Kinesis).
        start_time: call time at which LCA saw the utterance start (None if unknown).
        voice_end: audio time (s) of the end of the utterance's last voiced frame.
    """

    audio: np.ndarray
    segment_id: str
    start_time: float | None
    voice_end: float


class ChannelSegmenter:
    """One channel's VAD state, fed audio chunk by chunk, stepped frame by frame."""

    def __init__(self, flavour: Flavour) -> None:
        self.flavour = flavour
        self._vad = webrtcvad.Vad(VAD_MODE_AGGRESSIVE)
        self._pending = np.zeros(0, dtype=np.int16)
        self._frames_done = 0
        self._utterance: list[np.ndarray] = []
        self.voice_active = False
        self.silence_count = 0
        self.final_sent = False
        self.segment_id = str(uuid.uuid4())
        self.start_time: float | None = None
        self.voice_end = 0.0

    def feed(self, samples: np.ndarray) -> None:
        """Queue buffer-rate mono samples for framing."""
        self._pending = np.concatenate([self._pending, samples.astype(np.int16, copy=False)])

    def has_frame(self) -> bool:
        return len(self._pending) >= self.flavour.frame_samples

    @property
    def buffered_samples(self) -> int:
        return sum(len(f) for f in self._utterance)

    def partial_audio(self) -> np.ndarray | None:
        """What LCA's periodic timer would send now, or None.

        Like LCA, this is the current buffer whenever it is non-empty and no final with
        text has been sent for it, which includes a closed utterance whose final came
        back empty: LCA keeps re-sending that one every interval until speech resumes.
        """
        if not self._utterance or self.final_sent:
            return None
        return np.concatenate(self._utterance)

    def step(self, now: float) -> FinalDue | None:
        """Classify the next frame; ``now`` is the call time LCA would read from its clock.

        Returns:
            ``FinalDue`` when this frame completes the hang-over of an open utterance.
        """
        size = self.flavour.frame_samples
        frame, self._pending = self._pending[:size], self._pending[size:]
        self._frames_done += 1
        frame_end = self._frames_done * size / self.flavour.buffer_rate
        voiced = self._vad.is_speech(frame.astype("<i2").tobytes(), self.flavour.vad_claimed_rate)
        if voiced:
            self.silence_count = 0
            if not self.voice_active:
                self._utterance = []
                self.segment_id = str(uuid.uuid4())
                self.start_time = now
                self.final_sent = False
            self._utterance.append(frame)
            self.voice_active = True
            self.voice_end = frame_end
            return None
        self.silence_count += 1
        if self.silence_count >= self.flavour.silence_frames:
            due = None
            if self.voice_active and self._utterance:
                due = FinalDue(np.concatenate(self._utterance), self.segment_id, self.start_time,
                               self.voice_end)
            self.voice_active = False
            self.silence_count = 0
            self.start_time = None
            return due
        if self.voice_active:
            self._utterance.append(frame)
        return None
