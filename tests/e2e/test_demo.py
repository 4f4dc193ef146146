"""``python -m demo --quick`` end to end on the real parts (moto, builder, the artifact's
server, the real model on real speech, SageMaker's streaming runtime with AWS's own client),
asserting its own results; and ``python -m replay`` against the real local endpoint."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys

import pytest
from e2e_testlib import REPO

from replay.events import SEGMENT_KEYS

WER_BOUND = 0.35  # tiny.en int8 on 8 kHz telephone audio: ~10% on these clips; a broken path is ~100%


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def check_event_stream(lines: list[str]) -> list[dict]:
    events = [json.loads(line) for line in lines]
    assert events[0]["EventType"] == "START" and events[-1]["EventType"] == "END"
    segments = events[1:-1]
    assert segments and all(tuple(e) == SEGMENT_KEYS for e in segments)
    assert {e["Channel"] for e in segments} == {"CALLER", "AGENT"}
    assert all(float(e["StartTime"]) <= float(e["EndTime"]) for e in segments)
    return events


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("demo")
    result_path = work / "result.json"
    proc = subprocess.run([sys.executable, "-m", "demo", "--quick", "--work-dir", str(work / "w"),
                           "--result-json", str(result_path)], cwd=REPO, capture_output=True, text=True,
                          timeout=900)
    assert result_path.is_file(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, json.loads(result_path.read_text())


def test_every_step_succeeds(demo_run):
    proc, result = demo_run
    assert proc.returncode == 0 and result["ok"], proc.stdout[-3000:] + proc.stderr[-2000:]
    assert [s["number"] for s in result["steps"] if s["ok"]] == [1, 2, 3, 4, 5, 6, 7]
    assert "demo finished: every step succeeded" in proc.stdout
    for number in range(1, 8):
        assert f"[{number}/7]" in proc.stdout
    # Step 3 applies the root module for real: the Terraform tests need a hashicorp/aws provider too.
    assert "root module applied" in result["steps"][2]["detail"], result["steps"][2]
    # Step 3 is honest about what this machine cannot do.
    if not result["shim_outputs"]:
        assert result["notices"], "a skipped deployment must say why"
    else:
        assert result["shim_outputs"]["WhisperSageMakerEndpointName"] == result["endpoint_name"]


def test_transcripts_match_the_references(demo_run):
    _, result = demo_run
    summary = result["summary"]
    assert summary["wer"] is not None and summary["wer"] <= WER_BOUND, summary
    assert summary["failed_requests"] == 0 and summary["finals"] >= 3
    assert summary["latency_p50_s"] > 0 and summary["latency_p95_s"] >= summary["latency_p50_s"]


def test_the_call_streamed_with_awss_client_is_live_and_accurate(demo_run):
    """Step 6: finals printed as they arrive, WER bounded like the replay's, the container's
    close as ModelStreamError 1000, and both transports in the summary's table. (The quick
    call's turns are short: interims, decoded only on a free worker, are tests/local_runtime's.)"""
    proc, result = demo_run
    stream = result["stream"]
    assert stream["wer"] is not None and stream["wer"] <= WER_BOUND, stream
    assert stream["finals"] >= 3 and stream["lost_turns"] == 0, stream
    assert stream["close"].startswith("1000:"), stream
    assert stream["latency_p50_s"] > 0 and stream["latency_p95_s"] >= stream["latency_p50_s"]
    live = [line for line in proc.stdout.splitlines() if re.match(r"\s*\[\s*[\d.]+s\] ch\d ", line)]
    assert len([line for line in live if " FINAL " in line]) == stream["finals"], live
    for row in ("final latency p50", "words in finals", "WER of the finals"):
        assert any(line.strip().startswith(row) for line in proc.stdout.splitlines()), row


def test_event_stream_is_well_formed(demo_run):
    _, result = demo_run
    with open(result["events_file"], encoding="utf-8") as stream:
        events = check_event_stream(stream.read().splitlines())
    finals = [e for e in events[1:-1] if not e["IsPartial"]]
    assert len(finals) == result["summary"]["finals"] - result["summary"]["lost_finals"]


def test_nothing_is_left_running(demo_run):
    _, result = demo_run
    assert result["leftovers"] == []
    assert len(result["pids"]) >= 3 and not any(_alive(pid) for pid in result["pids"])
    assert len(result["ports"]) == 3 and not any(_port_open(port) for port in result["ports"])


def test_replay_cli_against_the_real_endpoint(real_server, tmp_path):
    events, summary = tmp_path / "events.jsonl", tmp_path / "summary.json"
    proc = subprocess.run([sys.executable, "-m", "replay", "--url", real_server, "--clips",
                           "cards-001,librivox-0880", "--events", str(events), "--summary-json", str(summary)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    check_event_stream(events.read_text().splitlines())
    figures = json.loads(summary.read_text())
    assert figures["failed_requests"] == 0 and figures["finals"] == 2
    assert figures["wer"] <= WER_BOUND
    assert "final latency after end of speech" in proc.stderr
