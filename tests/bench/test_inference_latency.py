"""The benchmark: ours vs the baseline on real LCA requests (its CLI's exit codes: test_bench_cli.py)."""

from __future__ import annotations

import pytest

from bench import inference_latency


@pytest.mark.slow
def test_compare_runs_ours_and_the_baseline_on_the_same_lca_requests(model_dir, short_clips):
    comparison = inference_latency.compare(model_dir, short_clips, callers=2)

    assert [r.handler for r in comparison.one_caller] == ["baseline", "ours"]
    for run in comparison.one_caller + comparison.many_callers:
        assert len(run.calls) == 5  # 2 + 3 requests of the two short clips, each answered
        assert run.failures == 0
        finals = run.final_texts()
        assert "forward" in finals["goforward"].lower()  # real speech went through decoding
        assert all(c.seconds > 0 for c in run.calls)
    assert comparison.wers[0] < 0.5  # the baseline on clean short clips
    assert all(0.0 <= w for w in comparison.wers)
    assert all(0 < d < 5 for d in comparison.decode_seconds)

    raw = comparison.as_dict()
    assert raw["ours"]["p50_ms"] == 1000 * comparison.one_caller[1].percentile(50)
    assert raw["baseline"]["wer"] == comparison.wers[0]
    assert set(raw["targets_met"]) == {"p50", "wer", "decode"}
    table = inference_latency.format_comparison(comparison)
    for row in ("p50 latency, ms", "p95 latency, ms", "throughput, 1 caller", "throughput, 2 callers",
                "WER on finals", "decode 50 s audio_input"):
        assert row in table
