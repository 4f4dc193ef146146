"""The memory of live hypotheses: it finds an utterance's last one by the audio of its next
partial (a real clip's growing prefixes), nothing else, and stays within its bounds."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import soundfile

from inference.partial_memory import ENTRY_BYTES, PartialMemory

SECOND = 16000


@pytest.fixture(scope="module")
def speech(jfk) -> np.ndarray:
    samples, _ = soundfile.read(jfk.path, dtype="float32")
    return samples


def test_the_next_partial_finds_the_longest_remembered_prefix(speech):
    memory = PartialMemory()
    memory.remember(speech[:SECOND], ["And"])
    memory.remember(speech[:2 * SECOND], ["And", "so"])
    assert memory.previous(speech[:3 * SECOND]) == ("And", "so")
    assert len(memory) == 1  # the longer hypothesis replaced its utterance's shorter one
    assert memory.previous(speech[:SECOND]) is None  # nothing remembered is a prefix of it


def test_other_audio_is_not_taken_for_the_utterance(speech):
    memory = PartialMemory()
    memory.remember(speech[:2 * SECOND], ["And", "so"])
    changed = speech[:3 * SECOND].copy()
    changed[SECOND + 5] += 0.01  # same first half second (same key), different audio after it
    assert memory.previous(changed) is None
    assert memory.previous(speech[SECOND:4 * SECOND]) is None
    assert memory.previous(speech[:SECOND // 4]) is None  # too short to file


def test_utterances_sharing_a_start_keep_their_own_entries(speech):
    memory = PartialMemory()
    silence = np.zeros(SECOND, dtype=np.float32)
    first = np.concatenate([silence, speech[:SECOND]])
    second = np.concatenate([silence, speech[3 * SECOND:4 * SECOND]])
    memory.remember(first, ["one"])
    memory.remember(second, ["two"])
    assert memory.previous(np.concatenate([first, speech[SECOND:2 * SECOND]])) == ("one",)
    assert memory.previous(np.concatenate([second, speech[:SECOND]])) == ("two",)


def test_entries_bytes_and_age_are_bounded(speech):
    now = [0.0]
    memory = PartialMemory(max_entries=3, max_bytes=10 * ENTRY_BYTES, max_age_s=30, clock=lambda: now[0])
    starts = [speech[i * SECOND // 2:(i + 2) * SECOND // 2] for i in range(5)]
    for i, audio in enumerate(starts):
        memory.remember(audio, [f"w{i}"])
    assert len(memory) == 3 and memory.previous(starts[0]) is None and memory.previous(starts[4]) == ("w4",)
    memory.remember(speech[:SECOND], ["x" * (3 * ENTRY_BYTES)])
    assert memory.bytes <= 10 * ENTRY_BYTES
    now[0] = 31.0
    assert memory.previous(starts[4]) is None and len(memory) == 0 and memory.bytes == 0


def test_concurrent_calls_keep_the_books(speech):
    memory = PartialMemory(max_entries=8)
    utterances = [speech[i * 4000:i * 4000 + 2 * SECOND] for i in range(16)]

    def caller(index: int) -> None:
        for step in range(1, 20):
            audio = utterances[index][:SECOND + step * 500]
            memory.previous(audio)
            memory.remember(audio, ["word"] * step)

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(memory) == 8
    assert memory.bytes == sum(ENTRY_BYTES + 4 * 19 for _ in range(8))
