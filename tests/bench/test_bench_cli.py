"""The benchmarks' command lines: usage errors exit 2, runtime failures 1 with one ERROR line,
and the capacity table reports only the servers it measured."""

from __future__ import annotations

import argparse

import pytest

from bench import (
    builder_upload,
    capacity,
    corpus_wer,
    final_pauses,
    inference_latency,
    long_recording,
    partial_policies,
    phantom_rate,
)
from bench.__main__ import main as bench_main


@pytest.mark.parametrize(("main", "argv"), [
    (bench_main, ["no-such-benchmark"]),
    (capacity.main, ["--servers", "ours,nope"]),
    (capacity.main, ["--servers", ","]),
    (capacity.main, ["--max-calls", "0"]),
    (capacity.main, ["--clips", "no-such-clip"]),
    (capacity.main, ["--model-dir", "/nonexistent"]),
    (capacity.main, ["--bogus"]),
    (inference_latency.main, ["--callers", "0"]),
    (inference_latency.main, ["--model-dir", "/nonexistent"]),
    (builder_upload.main, ["--reps", "0"]),
    (partial_policies.main, ["--corpus", "0"]),
    (final_pauses.main, ["--corpus", "0"]),
    (partial_policies.main, ["--model-dir", "/nonexistent"]),
    (corpus_wer.main, ["--model-dir", "/nonexistent"]),
    (phantom_rate.main, ["--model-dir", "/nonexistent"]),
    (long_recording.main, ["--model-dir", "/nonexistent"]),
])
def test_usage_errors_exit_2(main, argv, clips, capsys):
    try:
        code = main(argv)
    except SystemExit as exited:  # argparse
        code = exited.code
    assert code == 2
    assert "error" in capsys.readouterr().err.lower()


@pytest.mark.parametrize(("main", "argv"), [
    (capacity.main, []),
    (inference_latency.main, ["--quick"]),
    (builder_upload.main, []),
    (partial_policies.main, ["--quick"]),
])
def test_missing_test_data_is_a_runtime_failure(main, argv, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("WHISPER_SAGEMAKER_CACHE", str(tmp_path))  # an empty cache: nothing installed
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ERROR: ") and "scripts/setup.sh" in err[0]


def _trial(kind, calls, passed):
    return capacity.Trial(kind, calls, 1.0, 1.2, 1.0, 0.3, 0, 0, 0.05, False, passed)


def test_capacity_reports_only_the_servers_it_measured():
    ours = [_trial("ours", 1, True), _trial("ours", 2, False)]
    assert capacity.capacity_summary({"ours": ours}) == "ours 1"
    assert capacity.capacity_summary({"original": [_trial("original", 1, False)]}) == "original 0"
    both = {"ours": ours, "original": [_trial("original", 1, False)]}
    assert capacity.capacity_summary(both) == "ours 1, original 0, ratio n/a (baseline carries no call)"
    table = capacity.format_table({"ours": ours}, 1.5)
    assert "original" not in table
    assert table.splitlines()[-1].endswith("p95 < 1.5 s): ours 1")


def test_builder_upload_report_prints_every_figure(capsys):
    args = argparse.Namespace(wheels="none", reps=2)
    builder_upload.print_report(args, "inference/", 4 << 20, [1.0, 2.0], [2.0, 2.0], [0.5, 0.5], 0.3, 0.9, 0.2)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("builder upload bench: tiny.en artifact 4.0 MiB (wheels=none, handler=inference/)")
    ratio = next(line for line in out if line.startswith("throughput ratio"))
    assert ratio.split()[-1] == "0.75"  # 4 MiB in 2 s (ours) vs in 1.5 s (baseline median)
    assert out[-1].split()[-1] == "0.70"  # no-op process 0.9 s minus 0.2 s of hashing
