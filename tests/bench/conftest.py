"""Fixtures for the benchmark smoke tests: a couple of short real clips keep them fast."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def short_clips(clips):
    """Two real utterances (1.1 s and 2.8 s): five LCA requests in all."""
    chosen = [c for c in clips if c.name in ("cards-001", "goforward")]
    assert len(chosen) == 2, "the test data lacks cards-001 or goforward: re-run scripts/setup.sh"
    return chosen


@pytest.fixture(scope="session")
def baseline_model(model_dir):
    """The model as LCA's original handler loads it (int8 on CPU), shared by the bench tests."""
    from bench import original_handler

    return original_handler.model_fn(model_dir)
