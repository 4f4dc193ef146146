"""Recordings of minutes to hours: transcribed block by block, sequentially or batched.

faster-whisper works on the whole array it is given: the sequential pipeline computes the
log-mel of all of it at once, and both pipelines copy the speech VAD keeps. Measured with
tracemalloc, the sequential pipeline allocates ~13x the float32 audio at its peak (311 MB
for 6 minutes): a two-hour call would need 6 GB beside the decoded audio. Here a long
recording is cut, at its quietest moment near every ``BLOCK_S``, into blocks that are
views of the one decoded array; each block goes through the pipeline on its own and its
segments are shifted to the recording's clock. Memory is then the audio plus one
block's work, whatever the length.

Two pipelines, chosen by ``WHISPER_PIPELINE``:

* ``sequential``: faster-whisper's ``WhisperModel.transcribe``, window after window,
  each conditioned on the previous text;
* ``batched``: faster-whisper's ``BatchedInferencePipeline``: VAD cuts the block into
  chunks of up to 30 s that are decoded ``WHISPER_BATCH_SIZE`` at a time (the GPU's way
  to use its width; on CPU the measured difference is in ``bench/RESULTS.md``).

``auto`` picks batched on a GPU and sequential on CPU.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel

from .audio import SAMPLE_RATE

# A block's work is ~13x its 15 MB of audio, whatever the recording's length; 8 chunks
# of 30 s, so the batched pipeline fills a batch of the default size.
BLOCK_S = 240.0
_SEARCH_S = 20.0  # where, before each block's nominal end, the quietest moment is looked for
_FRAME = SAMPLE_RATE // 10  # 100 ms: shorter than a pause between words
_WINDOW_S = 30.0  # Whisper's window

# (block audio, **options) -> (segments, info), as WhisperModel.transcribe returns them
Pipeline = Callable[..., tuple]


def pipeline_for(model: WhisperModel, name: str, device: str, batch_size: int) -> tuple[str, Pipeline]:
    """The pipeline ``name`` resolves to on ``device``, and a function that runs it."""
    if name == "auto":
        name = "batched" if device == "cuda" else "sequential"
    if name == "sequential":
        return name, model.transcribe
    batched = BatchedInferencePipeline(model)

    def run(audio: np.ndarray, **options):
        # batching decodes chunks independently: there is no previous text to condition on
        options.pop("condition_on_previous_text", None)
        # and each chunk once: a token budget cuts its tail off for good (the sequential
        # pipeline goes on from the last timestamp). Measured on 4 minutes of the corpus's
        # calls: 361 words out with the live path's 192 tokens, 385 without a cap.
        options["max_new_tokens"] = None
        if not options.get("vad_filter", True):  # without VAD's chunks it needs them given: 30 s windows
            seconds = len(audio) / SAMPLE_RATE
            options["clip_timestamps"] = [{"start": t, "end": min(t + _WINDOW_S, seconds)}
                                          for t in np.arange(0.0, seconds, _WINDOW_S)]
        return batched.transcribe(audio, batch_size=batch_size, **options)

    return name, run


def block_bounds(audio: np.ndarray, block_s: float = BLOCK_S) -> Iterator[tuple[int, int]]:
    """(start, end) sample indices of consecutive blocks covering ``audio``.

    Each cut but the last lies at the quietest 100 ms (lowest RMS) of the ``_SEARCH_S``
    before the block's nominal end, so it falls between words, not inside one. Of equally
    quiet frames (digital silence) the last is taken: the first would, when the search
    reaches back into the pause a block starts in, cut a run of 100 ms blocks from it.
    """
    block, search = int(block_s * SAMPLE_RATE), int(_SEARCH_S * SAMPLE_RATE)
    start = 0
    while len(audio) - start > block:
        nominal = start + block
        low = max(start + _FRAME, nominal - search)
        frames = audio[low:nominal][: (nominal - low) // _FRAME * _FRAME].reshape(-1, _FRAME)
        energy = np.einsum("ij,ij->i", frames, frames)
        quietest = len(energy) - 1 - int(np.argmin(energy[::-1]))
        end = low + quietest * _FRAME + _FRAME // 2
        yield start, end
        start = end
    yield start, len(audio)


def transcribe_blocks(run: Pipeline, audio: np.ndarray, block_s: float = BLOCK_S, **options) -> tuple[list, object]:
    """``run`` over each block of ``audio``: all segments on the recording's clock, and the first block's info.

    Segment ids run 1..N over the whole recording: faster-whisper numbers each block from 1
    and skips the id of a segment it drops, so its own ids can neither be offset nor kept.
    """
    segments: list = []
    info = None
    for start, end in block_bounds(audio, block_s):
        block_segments, block_info = run(audio[start:end], **options)
        offset = start / SAMPLE_RATE
        for segment in block_segments:  # lazily decoded: the block's work happens here
            segments.append(_shifted(segment, offset, len(segments) + 1))
        info = info or block_info
    return segments, info


def _shifted(segment, offset: float, number: int):
    """A block's segment on the recording's clock, as the recording's ``number``-th segment."""
    if not offset:
        return dataclasses.replace(segment, id=number)
    words = [dataclasses.replace(w, start=w.start + offset, end=w.end + offset) for w in segment.words or []]
    return dataclasses.replace(segment, id=number, seek=segment.seek + round(offset * 100),
                               start=segment.start + offset, end=segment.end + offset,
                               words=words if segment.words is not None else None)
