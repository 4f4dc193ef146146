"""Recordings longer than a live request: cut into blocks between words, through either pipeline."""

from __future__ import annotations

import dataclasses
import logging
import tracemalloc

import numpy as np
import pytest
import soundfile

from inference.codecs import DecodedRequest
from inference.long_audio import SAMPLE_RATE, block_bounds, pipeline_for, transcribe_blocks
from inference.parameters import Parameters
from inference.transcribe import LONG_AUDIO_S, transcribe
from replay.wer import wer

PAUSE_S = 1.0
WER_BOUND = 0.15  # tiny.en int8 gives ~7 % on the clips


@pytest.fixture(scope="module")
def recording(clips):
    """The real clips end to end with a second of silence after each: audio, reference, pause spans."""
    pieces, pauses, cursor = [], [], 0
    for clip in clips:
        speech, rate = soundfile.read(str(clip.path), dtype="float32")
        assert rate == SAMPLE_RATE
        pieces += [speech, np.zeros(int(PAUSE_S * SAMPLE_RATE), dtype=np.float32)]
        cursor += len(speech)
        pauses.append((cursor, cursor + int(PAUSE_S * SAMPLE_RATE)))
        cursor += int(PAUSE_S * SAMPLE_RATE)
    return np.concatenate(pieces), " ".join(c.reference for c in clips), pauses


def test_blocks_cover_the_audio_and_cut_only_in_pauses(recording):
    audio, _, pauses = recording
    bounds = list(block_bounds(audio, block_s=15.0))  # longer than any clip and its pause
    assert bounds[0][0] == 0 and bounds[-1][1] == len(audio) and len(bounds) >= 4
    for (_, end), (start, _) in zip(bounds, bounds[1:], strict=False):
        assert end == start
        assert any(low <= end <= high for low, high in pauses), f"cut at {end / SAMPLE_RATE:.2f} s is in speech"
    assert all(end - start <= 15 * SAMPLE_RATE for start, end in bounds)
    for start, end in bounds:  # each holds speech: no block is a sliver of one pause
        assert not any(low <= start and end <= high for low, high in pauses), (start, end)


def test_short_audio_is_one_block():
    assert list(block_bounds(np.zeros(SAMPLE_RATE, dtype=np.float32))) == [(0, SAMPLE_RATE)]


@pytest.mark.slow
@pytest.mark.parametrize("pipeline", ["sequential", "batched"])
def test_blocks_transcribe_the_recording_on_its_own_clock(transcriber, recording, pipeline):
    audio, reference, _ = recording
    name, run = pipeline_for(transcriber.model, pipeline, "cpu", batch_size=4)
    assert name == pipeline
    segments, info = transcribe_blocks(run, audio, block_s=15.0, language="en", word_timestamps=True)
    text = " ".join(s.text.strip() for s in segments)
    assert wer([reference], [text]) <= WER_BOUND, text
    assert info.language == "en"
    starts = [s.start for s in segments]
    assert starts == sorted(starts) and segments[-1].end <= len(audio) / SAMPLE_RATE + 0.05
    assert segments[-1].start > 15.0  # later blocks are shifted, not restarted at 0
    assert [s.id for s in segments] == list(range(1, len(segments) + 1))
    # Words are shifted with their segment. faster-whisper may end a segment's last word after
    # the segment (seen: 0.5 s, within one block), so each word's start is what is bounded.
    for s in segments:
        assert all(s.start - 0.05 <= w.start <= min(w.end, s.end + 0.05) for w in s.words)
        assert all(w.end <= len(audio) / SAMPLE_RATE + 0.05 for w in s.words)


@pytest.mark.slow
def test_ids_run_1_to_n_whatever_the_pipeline_numbers(transcriber, recording):
    """faster-whisper numbers each block from 1 and skips the id of a segment it drops:
    the recording's ids run 1..N all the same. The real pipeline's segments, renumbered
    2, 4, 6, ..., stand for a decode that skipped ids on some other machine."""
    audio, _, _ = recording
    _, run = pipeline_for(transcriber.model, "sequential", "cpu", batch_size=1)

    def skipping(block, **options):
        segments, info = run(block, **options)
        return [dataclasses.replace(s, id=2 * s.id) for s in segments], info

    three_blocks = audio[:int(40 * SAMPLE_RATE)]
    segments, _ = transcribe_blocks(skipping, three_blocks, block_s=15.0, language="en", beam_size=1)
    assert len(segments) >= 3 and segments[-1].start > 15.0
    assert [s.id for s in segments] == list(range(1, len(segments) + 1))


def test_auto_is_sequential_on_cpu_and_batched_on_gpu(transcriber):
    assert pipeline_for(transcriber.model, "auto", "cpu", 8)[0] == "sequential"
    assert pipeline_for(transcriber.model, "auto", "cuda", 8)[0] == "batched"


def test_batched_without_vad_decodes_fixed_windows(transcriber, recording):
    audio, reference, _ = recording
    _, run = pipeline_for(transcriber.model, "batched", "cpu", batch_size=4)
    segments, _ = transcribe_blocks(run, audio, language="en", vad_filter=False)
    assert wer([reference], [" ".join(s.text.strip() for s in segments)]) <= WER_BOUND


@pytest.mark.slow
def test_blocks_keep_the_pipelines_work_independent_of_the_length(transcriber, recording):
    """faster-whisper on the whole array allocates many times the audio (its log-mel of all
    of it); block by block, the work is one block's, however long the recording."""
    _, run = pipeline_for(transcriber.model, "sequential", "cpu", batch_size=1)
    options = {"language": "en", "beam_size": 1, "vad_filter": False}

    def peak(function) -> int:
        tracemalloc.start()
        try:
            function()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    minute, three = np.resize(recording[0], 60 * SAMPLE_RATE), np.resize(recording[0], 180 * SAMPLE_RATE)
    whole = peak(lambda: list(run(minute, **options)[0]))
    blocks = {len(a): peak(lambda a=a: transcribe_blocks(run, a, block_s=30.0, **options)) for a in (minute, three)}
    assert whole > 3 * minute.nbytes and whole > 1.5 * blocks[len(minute)], (whole, blocks)
    assert blocks[len(three)] < 1.25 * blocks[len(minute)], blocks


@pytest.mark.parametrize("pipeline", ["sequential", "batched"])
def test_requests_longer_than_a_live_one_take_the_configured_pipeline(transcriber, recording, pipeline, caplog):
    audio, reference, _ = recording
    assert len(audio) / SAMPLE_RATE > LONG_AUDIO_S
    config = dataclasses.replace(transcriber.config, pipeline=pipeline, max_audio_s=600)
    with caplog.at_level(logging.INFO, logger="inference.transcribe"):
        body = transcribe(transcriber.model, DecodedRequest(audio), Parameters(language="en"), config)
    assert f"with the {pipeline} pipeline" in caplog.text
    assert wer([reference], [body["text"]]) <= WER_BOUND, body["text"]
    assert body["duration"] == pytest.approx(len(audio) / SAMPLE_RATE, abs=0.01)
    assert body["segments"][-1]["end"] <= body["duration"] + 0.05
    assert [s["id"] for s in body["segments"]] == list(range(1, len(body["segments"]) + 1))
