"""Fixtures for the replay client's tests: a short call made from real clips."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def short_call_clips(clips):
    """Three real utterances (1.1 s, 3.0 s, 2.8 s): a ~11 s call."""
    chosen = {c.name: c for c in clips}
    return [chosen["cards-001"], chosen["librivox-0880"], chosen["goforward"]]
