"""bench.final_pauses: its pause is the handler's "ends in speech" read further back, and LCA's
finals end in pauses as long as its client's hang-over allows."""

from __future__ import annotations

import numpy as np
import pytest

from bench import lca_workload
from bench.final_pauses import client_final_pauses, request_audio, trailing_pause_s
from bench.partial_policies import Decoded, judged_by_pause
from inference.cut_word import ends_in_speech
from replay.clips import telephone_clip
from replay.flavours import LAMBDA, WEBSOCKET


def test_the_pause_agrees_with_ends_in_speech(short_clips):
    """A request ends in speech exactly when it ends in less than three frames (96 ms) of non-speech."""
    requests = lca_workload.lca_workload(short_clips)
    audios = [request_audio(r.body) for r in requests]
    pauses = [trailing_pause_s(a) for a in audios]
    assert [p < 0.096 for p in pauses] == [ends_in_speech(a) for a in audios]
    assert any(p < 0.096 for p in pauses)  # the partials cut mid-word
    assert all(p >= 0.5 for r, p in zip(requests, pauses, strict=True) if r.final)  # 600 ms of zeros


def test_lcas_finals_end_in_most_of_its_hang_over(short_clips):
    """The finals LCA's client cuts (its last nine silent frames included) end in non-speech
    Silero hears for most of the hang-over: a bound, not one machine's figure."""
    silence = np.zeros(4000, np.int16), np.zeros(12000, np.int16)
    for clip in short_clips:
        speech = telephone_clip(clip.path)
        assert min(client_final_pauses(speech, LAMBDA, *silence)) >= LAMBDA.hangover_seconds / 2
        assert min(client_final_pauses(speech, WEBSOCKET, *silence)) >= 0.096  # what ends_in_speech needs


def test_partial_policies_can_judge_requests_by_their_pause(short_clips):
    """``--final-pause``: 96 ms is the handler's rule; longer takes more requests for partials;
    decodes of other requests are refused."""
    requests = lca_workload.lca_workload(short_clips)
    rows = [Decoded(r.clip, r.final, r.audio_seconds, True, "", ()) for r in requests]
    handlers = [ends_in_speech(request_audio(r.body)) for r in requests]
    assert [d.ends_in_speech for d in judged_by_pause(rows, short_clips, 0.096)] == handlers
    longer = [d.ends_in_speech for d in judged_by_pause(rows, short_clips, 0.3)]
    assert all(a or not b for a, b in zip(longer, handlers, strict=True))
    assert not any(d.ends_in_speech for d in judged_by_pause(rows, short_clips, 0.3) if d.final)
    with pytest.raises(ValueError, match="not the requests"):
        judged_by_pause(rows[1:], short_clips, 0.096)
