"""The runner times real handler calls and reads the answers as LCA would."""

from __future__ import annotations

import pytest

from bench import lca_workload, original_handler
from bench.handler_runner import HookHandler, run_concurrent, run_interleaved


@pytest.fixture(scope="module")
def requests(short_clips):
    return lca_workload.lca_workload(short_clips)


@pytest.mark.slow
def test_one_caller_runs_every_request_through_each_handler_in_turn(baseline_model, requests, short_clips):
    a = HookHandler("a", original_handler, baseline_model)
    b = HookHandler("b", original_handler, baseline_model)
    runs = run_interleaved([a, b], requests)

    references = {c.name: c.reference for c in short_clips}
    for run in runs:
        assert [c.request for c in run.calls] == list(requests)
        assert all(c.seconds > 0 for c in run.calls)
        assert run.wall_seconds == pytest.approx(sum(run.latencies))
        assert run.throughput == pytest.approx(len(requests) / run.wall_seconds)
        assert run.failures == 0
        assert set(run.final_texts()) == set(references)
        assert run.wer(references) < 0.5  # real speech, real model: mostly right
    assert runs[0].final_texts() == runs[1].final_texts()  # same model, beam search at temperature 0


@pytest.mark.slow
def test_concurrent_callers_answer_every_request(baseline_model, requests):
    handler = HookHandler("baseline", original_handler, baseline_model)
    run = run_concurrent(handler, requests, callers=2)

    assert [c.request for c in run.calls] == list(requests)
    assert run.failures == 0
    assert 0 < run.wall_seconds < sum(run.latencies) + 1.0
    assert all(text.strip() for text in run.final_texts().values())


def test_an_error_answer_counts_as_lost_text(baseline_model, requests):
    handler = HookHandler("baseline", original_handler, baseline_model)
    broken = [lca_workload.LcaRequest("x", 0.0, True, b'{"audio_input": [1, 2, 3]}')]
    run = run_interleaved([handler], broken)[0]
    assert run.failures == 1
    assert run.final_texts() == {"x": ""}
    assert run.wer({"x": "ten of clubs"}) == 1.0
