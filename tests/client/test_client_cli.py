"""``python -m client transcribe`` end to end: moto's S3, the real local server with
asynchronous inference, the real tiny.en model on real speech."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile
from client_testlib import BUCKET, REPO

from client.__main__ import main
from client.recording import Job
from replay.wer import wer


def transcribe(argv: list[str], endpoint_url: str) -> int:
    return main(["transcribe", *argv, "--endpoint-name", "whisper", "--bucket", BUCKET, "--endpoint-url", endpoint_url,
                 "--timeout", "120"])


def test_a_recording_is_uploaded_once_and_transcribed(endpoint_url, aws_environment, s3, jfk, tmp_path, capsys):
    out = tmp_path / "jfk.json"
    assert transcribe([str(jfk.path), "--output", str(out), "--prefix", "calls"], endpoint_url) == 0
    assert wer([jfk.reference], [json.loads(out.read_text())["text"]]) <= 0.15
    progress = capsys.readouterr().err
    assert "uploaded" in progress and "queued" in progress and "done in" in progress
    inputs = s3.list_objects_v2(Bucket=BUCKET, Prefix="calls/inputs/")["Contents"]
    assert [o["Key"] for o in inputs] == [f"calls/inputs/{_sha256(jfk.path)}.wav"]

    # the same recording again: the content-addressed key is reused, the transcript printed to stdout
    assert transcribe([str(jfk.path), "--prefix", "calls"], endpoint_url) == 0
    assert json.loads(capsys.readouterr().out)["text"] == json.loads(out.read_text())["text"]
    assert len(s3.list_objects_v2(Bucket=BUCKET, Prefix="calls/inputs/")["Contents"]) == 1


def test_a_stereo_call_comes_back_as_labelled_text(endpoint_url, aws_environment, clips, tmp_path, capsys):
    """Agent on the left channel, caller on the right, taking turns: each line is labelled."""
    agent, caller = (next(c for c in clips if c.name == name) for name in ("goforward", "librivox-0930"))
    left, rate = soundfile.read(agent.path, dtype="int16")
    right, _ = soundfile.read(caller.path, dtype="int16")
    pause = np.zeros(rate, dtype=np.int16)
    call = np.stack([np.concatenate([left, pause, np.zeros_like(right), pause]),
                     np.concatenate([np.zeros_like(left), pause, right, pause])], axis=1)
    recording = tmp_path / "call.flac"
    soundfile.write(recording, call, rate)
    assert transcribe([str(recording), "--format", "text", "--channels", "separate",
                       "--channel-names", "agent,caller"], endpoint_url) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    said = {name: " ".join(line.split(": ", 1)[1] for line in lines if line.startswith(f"{name}: "))
            for name in ("agent", "caller")}
    assert all(line.startswith(("agent: ", "caller: ")) for line in lines), lines
    assert lines[0].startswith("agent: "), "segments in the order they were said"
    assert wer([agent.reference], [said["agent"]]) <= 0.25, said
    assert wer([caller.reference], [said["caller"]]) <= 0.2, said


def test_a_recording_the_endpoint_cannot_decode_is_one_error_line(endpoint_url, aws_environment, tmp_path,
                                                                   capsys):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF but not really a wave file at all")
    assert transcribe([str(broken)], endpoint_url) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("ERROR: the endpoint failed to transcribe") and "broken.wav" in err[-1]
    assert not [line for line in err if line.startswith("ERROR")][:-1], "exactly one ERROR line"
    assert len(err[-1]) > len("ERROR: the endpoint failed to transcribe ...: ") + 10, "the endpoint's reason"


def test_the_timeout_is_one_error_line_naming_where_the_result_will_be(endpoint_url, aws_environment, jfk,
                                                                        capsys):
    argv = [str(jfk.path), "--endpoint-name", "whisper", "--bucket", BUCKET, "--endpoint-url", endpoint_url]
    assert main(["transcribe", *argv, "--timeout", "0.01"]) == 1  # the model needs far longer than 10 ms
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("ERROR: no result within 0.01 s (--timeout)")
    assert f"s3://{BUCKET}/results/" in err[-1]


def test_an_unreachable_endpoint_is_one_error_line(aws_environment, jfk, capsys):
    assert transcribe([str(jfk.path)], "http://127.0.0.1:9") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("ERROR: ") and "127.0.0.1:9" in err[-1]


@pytest.mark.parametrize("argv, message", [
    (["missing.wav"], "is not a file"),
    (["{clip}", "--channel-names", "agent,caller"], "--channel-names needs --channels separate"),
    (["{clip}", "--channels", "separate", "--channel-names", "agent;x,caller"], "without ';'"),
    (["{clip}", "--format", "docx"], "invalid choice"),
    (["{clip}", "--timeout", "0"], "--timeout must be positive"),
    (["{txt}"], "cannot tell the audio format"),
])
def test_usage_errors_exit_2(jfk, tmp_path, capsys, argv, message):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    argv = [a.format(clip=jfk.path, txt=text) for a in argv]
    with pytest.raises(SystemExit) as exit_:
        main(["transcribe", *argv, "--endpoint-name", "e", "--bucket", "b"])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_missing_required_options_and_the_module_entry_point():
    proc = subprocess.run([sys.executable, "-m", "client", "transcribe", "x.wav"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--endpoint-name" in proc.stderr


def test_the_container_parameters_travel_as_custom_attributes(jfk):
    job = Job(jfk.path, "e", "b", response_format="srt", channels="separate", channel_names=("agent", "caller"))
    assert job.custom_attributes == "response_format=srt;channels=separate;channel_names=agent,caller"
    assert Job(jfk.path, "e", "b").custom_attributes is None
    assert job.content_type == "audio/wav"


def _sha256(path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
