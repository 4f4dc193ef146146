"""Whisper base, the second model setup installs: the handler serves it as it serves tiny.en."""

from __future__ import annotations

import json

import pytest

from inference import handler
from replay.lca_audio import lca_request_body, lca_transcript, to_telephone, upsample_by_repeat, wav_bytes
from replay.wer import wer

WER_BOUND = 0.1  # base reads the JFK clip word for word; tiny.en's bound on all clips is 0.15


@pytest.mark.slow
def test_base_reads_an_lca_request_within_the_wer_bound(base_dir, jfk):
    import soundfile

    transcriber = handler.model_fn(base_dir)
    pcm, _ = soundfile.read(jfk.path, dtype="int16")
    body = lca_request_body(wav_bytes(upsample_by_repeat(to_telephone(pcm))))
    answer = json.loads(handler.output_fn(handler.predict_fn(handler.input_fn(body, "application/json"),
                                                             transcriber), None))
    assert answer["language"] == "en"  # multilingual: LCA's "language": "en" is honoured
    assert wer([jfk.reference], [lca_transcript(answer)]) <= WER_BOUND
