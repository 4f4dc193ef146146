"""The capacity benchmark's baseline really is LCA's original handler behind our HTTP contract."""

from __future__ import annotations

import json
import urllib.request

from bench import capacity
from bench.lca_workload import telephone_audio
from replay.lca_audio import lca_request_body, wav_bytes
from replay.wer import wer


def test_original_server_serves_lcas_requests(model_dir, clips, tmp_path):
    clip = next(c for c in clips if c.name == "goforward")
    server, url = capacity.start_server("original", model_dir, tmp_path / "server.log")
    try:
        body = lca_request_body(wav_bytes(telephone_audio(clip.path)))
        request = urllib.request.Request(f"{url}/invocations", data=body,
                                         headers={"Content-Type": "application/json"})  # no Accept, like LCA
        with urllib.request.urlopen(request, timeout=120) as response:
            answer = json.loads(response.read())
    finally:
        server.stop()
    assert server.proc.poll() is not None
    assert set(answer) == {"text", "language", "segments"}
    assert wer([clip.reference], [answer["text"]]) <= 0.25, answer["text"]


def test_capacity_is_the_largest_passing_call_count():
    def trial(calls, passed):
        return capacity.Trial("ours", calls, 1.0, 1.2, 1.0, 0.3, 0, 0, 0.05, False, passed)

    trials = [trial(1, True), trial(2, True), trial(3, False)]
    assert capacity.capacity(trials) == 2
    assert capacity.capacity([trial(1, False)]) == 0
    table = capacity.format_table({"ours": trials, "original": [trial(1, True), trial(2, False)]}, 1.5)
    assert table.splitlines()[-1].endswith("ours 2, original 1, ratio 2.0x")
