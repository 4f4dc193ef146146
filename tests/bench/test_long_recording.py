"""bench.long_recording: the recording it builds, and one real (short) run of every configuration."""

from __future__ import annotations

import json

import pytest

from bench import long_recording
from replay.lca_audio import TELEPHONE_RATE


def test_the_recording_joins_real_calls_from_every_source_with_their_script():
    call = long_recording.recording(3)
    assert 180 <= call.seconds < 180 + 120 and call.audio.shape[1] == 2
    sources = {t.clip.split("-")[0] for t in call.turns}
    assert len(sources) >= 2, sources
    starts = [t.start_s for t in call.turns]
    assert starts == sorted(starts) and call.turns[-1].end_s <= call.seconds
    for turn in call.turns[:: max(1, len(call.turns) // 10)]:  # speech on its channel, silence on the other
        span = call.audio[int(turn.start_s * TELEPHONE_RATE):int(turn.end_s * TELEPHONE_RATE)]
        assert abs(span[:, turn.channel]).max() > 300 and abs(span[:, 1 - turn.channel]).max() == 0
    assert long_recording.reference_text(call).startswith(call.turns[0].reference)


@pytest.mark.parametrize("argv", [["--minutes", "0"], ["--pipelines", "turbo"], ["--batch-size", "0"]])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        long_recording.main(argv)
    assert exit_info.value.code == 2


@pytest.mark.slow
def test_a_short_run_measures_the_baseline_and_ours(tmp_path, capsys):
    out = tmp_path / "long.json"
    assert long_recording.main(["--minutes", "1", "--pipelines", "sequential", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert set(figures["results"]) == {"baseline", "sequential", "sequential" + long_recording.NO_VAD}
    for result in figures["results"].values():
        assert result["wer"] < 0.3, result["text"]
        assert 0 < result["rtf"] < 5 and result["peak_mib"] >= result["loaded_mib"] > 100
    table = capsys.readouterr().out
    assert "faster-whisper transcribe" in table and "ours, sequential, vad_filter=false" in table
