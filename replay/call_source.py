"""Telephone calls to replay: the user's stereo 8 kHz WAV, or one made from the real speech clips.

A call is what LCA's call transcriber receives: 8 kHz stereo s16le PCM, the caller on
the left channel (``ch_0`` -> ``CALLER``) and the agent on the right (``ch_1`` -> ``AGENT``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile

from replay.clips import telephone_clip
from replay.lca_audio import TELEPHONE_RATE

CHANNELS = ("CALLER", "AGENT")  # LCA: ch_0 is CALLER, anything else AGENT

# Silence between turns: longer than LCA's ~600 ms VAD hang-over, so every turn ends
# in a final, and varied so turns do not line up with LCA's 1 s partial timer.
DEFAULT_PAUSES_S = (1.2, 0.9, 1.5, 1.0)
LEAD_IN_S = 0.5
# After the last word: enough silence for the hang-over to fire before the call ends
# (LCA never flushes an open utterance at hang-up).
TAIL_S = 1.5


@dataclass(frozen=True)
class Turn:
    """One scripted utterance of a synthetic call.

    Attributes:
        channel: 0 (CALLER) or 1 (AGENT).
        clip: name of the real recording spoken.
        reference: its reference transcript.
        start_s: where it starts in the call.
        end_s: where it ends in the call.
    """

    channel: int
    clip: str
    reference: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Call:
    """A two-channel 8 kHz call.

    Attributes:
        audio: int16 array of shape ``(samples, 2)`` at 8 kHz.
        turns: the script when the call was made from clips; empty for a user's WAV.
        name: a label for reports.
    """

    audio: np.ndarray
    turns: tuple[Turn, ...] = field(default=())
    name: str = "call"

    @property
    def seconds(self) -> float:
        return len(self.audio) / TELEPHONE_RATE

    def references(self, channel: int) -> list[str]:
        """The reference transcripts spoken on one channel, in order."""
        return [t.reference for t in self.turns if t.channel == channel]


def read_call_wav(path: str | Path) -> Call:
    """Read a stereo 8 kHz 16-bit PCM WAV (left = caller, right = agent).

    Raises:
        ValueError: the file is not 2-channel, 8 kHz, 16-bit PCM.
        FileNotFoundError: there is no such file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such call recording: {path}")
    try:
        info = soundfile.info(str(path))
    except RuntimeError as exc:  # soundfile's error for unreadable formats
        raise ValueError(f"{path}: not a readable audio file ({exc})") from exc
    if info.channels != 2 or info.samplerate != TELEPHONE_RATE or info.subtype != "PCM_16":
        raise ValueError(f"{path}: expected a stereo 8 kHz 16-bit PCM WAV (left caller, right agent), "
                         f"got {info.channels} channel(s), {info.samplerate} Hz, {info.subtype}")
    audio, _ = soundfile.read(str(path), dtype="int16", always_2d=True)
    return Call(audio=audio, name=path.stem)


def write_call_wav(call: Call, path: str | Path) -> Path:
    """Save a call as the stereo 8 kHz WAV that ``read_call_wav`` reads."""
    path = Path(path)
    soundfile.write(str(path), call.audio, TELEPHONE_RATE, subtype="PCM_16")
    return path


def synthetic_call(clips: Sequence, pauses_s: Sequence[float] = DEFAULT_PAUSES_S,
                   name: str = "synthetic-call") -> Call:
    """A call in which caller and agent take turns speaking the clips, with pauses.

    Clip ``i`` is spoken by the caller when ``i`` is even and by the agent when odd; the
    other channel is silent meanwhile (as on a real two-leg recording).

    Args:
        clips: objects with ``name``, ``path`` (16 kHz mono WAV) and ``reference``.
        pauses_s: silences between turns, used in rotation.
        name: a label for reports.
    """
    if not clips:
        raise ValueError("a synthetic call needs at least one clip")
    if not pauses_s or min(pauses_s) < 0:
        raise ValueError("pauses_s must be a non-empty list of non-negative seconds")
    pieces: list[np.ndarray] = []
    turns: list[Turn] = []
    cursor = int(LEAD_IN_S * TELEPHONE_RATE)
    pieces.append(np.zeros((cursor, 2), dtype=np.int16))
    for i, clip in enumerate(clips):
        channel = i % 2
        speech = telephone_clip(Path(clip.path))
        block = np.zeros((len(speech), 2), dtype=np.int16)
        block[:, channel] = speech
        turns.append(Turn(channel, clip.name, clip.reference, cursor / TELEPHONE_RATE,
                          (cursor + len(speech)) / TELEPHONE_RATE))
        pieces.append(block)
        cursor += len(speech)
        gap = TAIL_S if i == len(clips) - 1 else pauses_s[i % len(pauses_s)]
        silence = int(gap * TELEPHONE_RATE)
        pieces.append(np.zeros((silence, 2), dtype=np.int16))
        cursor += silence
    return Call(audio=np.concatenate(pieces), turns=tuple(turns), name=name)
