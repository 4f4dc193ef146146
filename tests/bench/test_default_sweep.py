"""The sweep runs each candidate on the same LCA requests and reports refusals instead of dying."""

from __future__ import annotations

import json
import types

import pytest

from bench import default_sweep, window_probe
from bench.default_sweep import Candidate
from replay.lca_audio import LCA_PARAMETERS


@pytest.mark.slow
def test_each_candidate_runs_the_whole_workload_with_its_parameters(model_dir, short_clips):
    # the probe has none of the handler's loop guards: with a 3 s margin the goforward final
    # (speech, then the Lambda's 600 ms hang-over) loops; 6 s, the handler's margin, does not
    candidates = [Candidate("pad 30 s, beam 5"), Candidate("audio+6 s, beam 1", {"window": "audio", "extra_s": 6,
                                                                                 "beam_size": 1})]
    results = default_sweep.sweep(model_dir, short_clips, candidates, module=window_probe)

    assert [r.candidate.name for r in results] == ["pad 30 s, beam 5", "audio+6 s, beam 1"]
    for result in results:
        assert result.refused is None
        assert len(result.run.calls) == 5  # 2 + 3 requests of the two short clips
        assert result.run.failures == 0
        assert result.wer < 0.5
        row = result.as_dict()
        assert 0 < row["p50_ms"] <= row["p95_ms"]
    sent = [json.loads(r.run.calls[0].request.body)["parameters"] for r in results]
    assert sent[0] == LCA_PARAMETERS
    assert sent[1] == {**LCA_PARAMETERS, "window": "audio", "extra_s": 6, "beam_size": 1}
    table = default_sweep.format_sweep(results)
    assert "audio+6 s, beam 1" in table and "WER" in table


def test_a_candidate_the_handler_refuses_is_reported(model_dir, short_clips):
    def predict_fn(data, model):
        if "no_such_option" in data[1]:
            raise ValueError("unknown parameter 'no_such_option'")
        return window_probe.predict_fn(data, model)

    strict = types.SimpleNamespace(model_fn=window_probe.model_fn, input_fn=window_probe.input_fn,
                                   predict_fn=predict_fn, output_fn=window_probe.output_fn)
    candidates = [Candidate("plain"), Candidate("odd", {"no_such_option": True})]
    plain, odd = default_sweep.sweep(model_dir, short_clips[:1], candidates, module=strict)

    assert plain.refused is None and len(plain.run.calls) == 2
    assert odd.run is None and "no_such_option" in odd.refused
    assert "refused" in default_sweep.format_sweep([plain, odd])
    assert odd.as_dict()["refused"].startswith("ValueError")


@pytest.mark.parametrize("name", sorted(default_sweep.CANDIDATE_SETS))
def test_candidate_names_are_unique(name):
    names = [c.name for c in default_sweep.CANDIDATE_SETS[name]]
    assert len(names) == len(set(names))
