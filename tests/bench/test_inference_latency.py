"""The benchmark CLI: ours vs the baseline on real LCA requests, and its error path."""

from __future__ import annotations

from bench import inference_latency


def test_missing_model_is_one_error_line_and_a_nonzero_exit(tmp_path, capsys):
    assert inference_latency.main(["--quick", "--model-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ERROR: ") and "model" in err and len(err.strip().splitlines()) == 1


def test_bad_callers_is_rejected(model_dir, capsys):
    assert inference_latency.main(["--callers", "0", "--model-dir", str(model_dir)]) == 2
    assert "--callers" in capsys.readouterr().err
