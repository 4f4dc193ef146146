"""``python -m demo``'s exit codes (usage 2, runtime 1 with one ERROR line) and its summary
line when the replay measured nothing (no final, no script): dashes, never a TypeError."""

from __future__ import annotations

import pytest

from demo.__main__ import main
from demo.run import summary_line
from replay.report import ReplaySummary


@pytest.mark.parametrize("argv", [["--bogus"], ["--model-dir", "/nonexistent"]])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_missing_model_is_a_runtime_failure(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("WHISPER_SAGEMAKER_CACHE", str(tmp_path))  # an empty cache: nothing installed
    assert main(["--quick", "--work-dir", str(tmp_path / "work")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ERROR: tiny.en model missing") and "scripts/setup.sh" in err[0]
    assert not (tmp_path / "work").exists()  # failed before starting anything


def _summary(**figures) -> ReplaySummary:
    base = dict(calls=1, finals=3, lost_finals=0, open_at_end=0, latency_p50_s=0.61, latency_p95_s=0.9,
                latency_max_s=1.0, requests=12, failed_requests=0, request_p50_s=0.2, requests_per_s=0.8,
                wall_seconds=15.0, wer=0.052, per_call=())
    return ReplaySummary(**{**base, **figures})


def test_summary_line_formats_measured_figures():
    assert summary_line(_summary()) == (
        "WER 5.2%, final latency p50 0.61 s / p95 0.90 s, 0.80 requests/s, phantom partials 0/0")


def test_summary_line_without_finals_or_script_prints_dashes():
    empty = _summary(finals=0, lost_finals=3, latency_p50_s=None, latency_p95_s=None, latency_max_s=None, wer=None)
    assert summary_line(empty) == "WER -, final latency p50 - s / p95 - s, 0.80 requests/s, phantom partials 0/0"
