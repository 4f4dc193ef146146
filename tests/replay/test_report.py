"""The replay's figures: one percentile for the whole project, and summaries with no data."""

from __future__ import annotations

import numpy as np
import pytest

from replay.report import ReplaySummary, format_summary, percentile


def test_percentile_interpolates_linearly():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 100) == 100.0
    assert percentile(values[::-1], 0) == 1.0
    assert percentile([3.0], 95) == 3.0
    assert percentile(np.array([1.0, 2.0]), 50) == 1.5


def test_percentile_of_nothing_is_none_not_an_error():
    assert percentile([], 50) is None
    assert percentile(np.array([]), 95) is None


def test_a_summary_without_finals_formats_as_dashes():
    empty = ReplaySummary(calls=1, finals=0, lost_finals=0, open_at_end=0, latency_p50_s=None, latency_p95_s=None,
                          latency_max_s=None, requests=0, failed_requests=0, request_p50_s=None,
                          requests_per_s=0.0, wall_seconds=1.0, wer=None, per_call=())
    text = format_summary(empty)
    assert "p50 - s, p95 - s, max - s" in text
    assert "median - s each" in text
