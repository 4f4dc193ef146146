"""How much non-speech LCA's requests end in, by Silero's measure: can a longer pause mark the final?

    python -m bench.final_pauses [--corpus N]

The handler cannot tell LCA's partials from its finals (nothing in a request says which):
a request whose last frames are not speech (``inference.cut_word.ends_in_speech``: ~100 ms)
is answered in full, as a final must be. A final is sent after LCA's client VAD has heard
its hang-over of silence (``replay.flavours``: 600 ms for the Lambda, 300 ms for the
WebSocket transcriber), so a longer threshold would let the partials that land in a short
pause get the partial policy, if Silero still hears that long a pause at the end of every
final. This measures, with no decoding, the trailing non-speech (``trailing_pause_s``) of:

* the partials and finals of the request stream ``bench.partial_policies`` scores (the
  finals there end in 600 ms of digital zeros);
* the finals LCA's own client logic (``replay.transcriber``, both flavours) cuts from every
  corpus utterance alone on a call, in digital silence, and, for the utterances whose
  recording has at least 100 ms of room tone before or after the speech, in that room tone.

Prints per source: the count, the minimum and percentiles, and how many end in less than
each candidate threshold (a final there would lose words: LCA keeps the final's text).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterator, Sequence

import numpy as np
import soundfile
from faster_whisper.vad import VadOptions, get_speech_timestamps, get_vad_model

from bench import lca_workload
from bench.handler_runner import format_table
from bench.phantom_rate import corpus_clips
from inference import handler
from inference.cut_word import SPEECH_PROBABILITY, VAD_CONTEXT_FRAMES, VAD_FRAME
from replay.call_source import Call
from replay.clips import telephone_clip
from replay.clock import VirtualClock
from replay.flavours import FLAVOURS, Flavour
from replay.lca_audio import WHISPER_RATE, to_telephone
from replay.transcriber import CallTranscriber

CANDIDATES_S = (0.096, 0.128, 0.16, 0.224, 0.256, 0.352)  # whole Silero frames of 32 ms; 0.096: ends_in_speech's
_ROOM_TONE_MIN_S = 0.1


def trailing_pause_s(audio: np.ndarray) -> float:
    """Seconds of non-speech at the end of ``audio`` (16 kHz float32), in Silero's 32 ms frames,
    read over the window ``ends_in_speech`` reads (~1 s: a pause that long reads as the window).

    ``ends_in_speech(audio)`` is ``trailing_pause_s(audio) < 0.096``; audio too short for
    three frames counts as a final (``inf``), as there.
    """
    if len(audio) < 3 * VAD_FRAME:
        return math.inf
    tail = audio[-VAD_FRAME * VAD_CONTEXT_FRAMES:]
    tail = np.pad(tail, ((-len(tail)) % VAD_FRAME, 0))
    probabilities = get_vad_model()(np.ascontiguousarray(tail, dtype=np.float32)).reshape(-1)
    speech = np.flatnonzero(probabilities >= SPEECH_PROBABILITY)
    frames = len(probabilities) - 1 - speech[-1] if len(speech) else len(probabilities)
    return frames * VAD_FRAME / WHISPER_RATE


def request_audio(body: bytes) -> np.ndarray:
    """The audio the handler reads from an LCA request body."""
    return handler.input_fn(body, "application/json").request.audio


def workload_pauses(clips: list) -> Iterator[tuple[bool, float]]:
    """(final, trailing pause) of every request ``bench.partial_policies`` decodes, in its order."""
    for request in lca_workload.lca_workload(clips):
        yield request.final, trailing_pause_s(request_audio(request.body))


class _Probe:
    """A transport that measures each final's trailing pause instead of decoding it."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    def invoke(self, body: bytes) -> dict:
        self.pauses.append(trailing_pause_s(request_audio(body)))
        return {"text": "final"}

    def close(self) -> None:
        pass


def client_final_pauses(speech_8k: np.ndarray, flavour: Flavour, before: np.ndarray, after: np.ndarray) -> list[float]:
    """The trailing pauses of the finals LCA's client (``flavour``) cuts from ``speech_8k`` said
    alone on a call, between ``before`` and ``after`` (8 kHz int16)."""
    mono = np.concatenate([before, speech_8k, after]).astype(np.int16)
    probe = _Probe()
    call = Call(np.stack([mono, np.zeros_like(mono)], axis=1))
    CallTranscriber(probe, flavour=flavour, clock=VirtualClock(), partials=False).run(call)
    return probe.pauses


def room_tone(path) -> np.ndarray | None:
    """The recording's own non-speech, at 8 kHz: the longer of what lies before its first word
    and after its last (Silero's timestamps, with a margin), if at least 100 ms."""
    samples, _ = soundfile.read(str(path), dtype="int16")
    spans = get_speech_timestamps(samples.astype(np.float32) / 32768, VadOptions(min_silence_duration_ms=100))
    if not spans:
        return None
    before = samples[:max(spans[0]["start"] - WHISPER_RATE // 20, 0)]
    after = samples[min(spans[-1]["end"] + WHISPER_RATE // 5, len(samples)):]
    tone = max(before, after, key=len)
    return to_telephone(tone) if len(tone) >= _ROOM_TONE_MIN_S * WHISPER_RATE else None


def _looped(tone: np.ndarray, length: int) -> np.ndarray:
    """``tone`` repeated forwards and backwards to ``length`` samples (no clicks at the joins)."""
    return np.resize(np.concatenate([tone, tone[::-1]]), length)


def client_sources(clips: list) -> dict[str, list[float]]:
    """Finals' trailing pauses per (flavour, surroundings) for every clip."""
    found: dict[str, list[float]] = {}
    for clip in clips:
        speech = telephone_clip(clip.path)
        tone = room_tone(clip.path)
        for flavour in FLAVOURS.values():
            silence = (np.zeros(4000, np.int16), np.zeros(12000, np.int16))
            found.setdefault(f"LCA {flavour.name} finals, digital silence", []).extend(
                client_final_pauses(speech, flavour, *silence))
            if tone is not None:
                found.setdefault(f"LCA {flavour.name} finals, the recording's room tone", []).extend(
                    client_final_pauses(speech, flavour, _looped(tone, 4000)[::-1], _looped(tone, 12000)))
    return found


def format_pauses(sources: dict[str, list[float]]) -> str:
    rows = [("requests", "n", "min ms", "p1 / p5 / p50 ms", *(f"< {1000 * c:.0f} ms" for c in CANDIDATES_S))]
    for name, pauses in sources.items():
        finite = np.minimum(np.array(pauses), VAD_CONTEXT_FRAMES * VAD_FRAME / WHISPER_RATE)
        p1, p5, p50 = (1000 * np.percentile(finite, q) for q in (1, 5, 50))
        rows.append((name, str(len(pauses)), f"{1000 * finite.min():.0f}", f"{p1:.0f} / {p5:.0f} / {p50:.0f}",
                     *(str(int(np.sum(finite < c - 1e-9))) for c in CANDIDATES_S)))
    return format_table(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.final_pauses", description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=int, default=1, metavar="N", help="every Nth utterance of each source")
    args = parser.parse_args(argv)
    if args.corpus < 1:
        parser.error("--corpus takes a positive N")
    try:
        clips = corpus_clips(args.corpus)
        workload = list(workload_pauses(clips))
        sources = {"workload partials": [p for final, p in workload if not final],
                   "workload finals (600 ms of zeros)": [p for final, p in workload if final],
                   **client_sources(clips)}
    except Exception as exc:  # a CLI: one line
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(f"{len(clips)} utterances; trailing non-speech by Silero, in {1000 * VAD_FRAME // WHISPER_RATE} ms frames")
    print(format_pauses(sources))
    return 0


if __name__ == "__main__":
    sys.exit(main())
