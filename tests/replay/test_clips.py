"""The clip index and the cache root are read from one place, the way setup wrote them."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.cache import cache_root
from replay import clips as speech


def test_load_clips_reads_the_installed_index(clips):
    loaded = speech.load_clips()
    assert [(c.name, c.path, c.reference) for c in loaded] == [(c.name, c.path, c.reference) for c in clips]
    assert all(c.path.is_file() and c.seconds > 0 and c.reference for c in loaded)
    assert [c.name for c in speech.load_clips(("jfk", "cards-001"))] == ["cards-001", "jfk"]
    with pytest.raises(KeyError, match="no-such-clip"):
        speech.load_clips(("no-such-clip",))


def test_quick_clips_are_installed_clips(clips):
    assert set(speech.QUICK_CLIPS) <= {c.name for c in clips}


def test_missing_index_says_how_to_install_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="run scripts/setup.sh"):
        speech.load_clips(root=tmp_path)


def test_cache_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("WHISPER_SAGEMAKER_CACHE", str(tmp_path))
    assert cache_root() == tmp_path
    assert speech.testdata_root() == tmp_path / "testdata"
    assert speech.default_model_dir() == tmp_path / "testdata" / "models" / "tiny.en"
    monkeypatch.setenv("WHISPER_SAGEMAKER_CACHE", "")
    assert cache_root() == Path.home() / ".cache" / "whisper-sagemaker"
