"""Environment settings: defaults and clear errors for bad values."""

from __future__ import annotations

import pytest

from inference.model import ModelConfig
from inference.server import DEFAULT_MAX_QUEUE, _max_queue
from inference.transcribe import WindowPolicy


def test_cpu_defaults_to_int8_on_the_available_cores():
    config = ModelConfig.from_env({"WHISPER_DEVICE": "cpu"})
    assert (config.device, config.compute_type, config.num_workers) == ("cpu", "int8", 1)
    assert config.cpu_threads >= 1


def test_overrides_are_read():
    config = ModelConfig.from_env({"WHISPER_DEVICE": "CPU", "WHISPER_COMPUTE_TYPE": "float32",
                                   "WHISPER_CPU_THREADS": "3", "WHISPER_WORKERS": "2"})
    assert config == ModelConfig("cpu", "float32", 3, 2)


@pytest.mark.parametrize("env, message", [
    ({"WHISPER_DEVICE": "tpu"}, "WHISPER_DEVICE"),
    ({"WHISPER_DEVICE": "cpu", "WHISPER_COMPUTE_TYPE": "float64"}, "not supported on cpu"),
    ({"WHISPER_DEVICE": "cpu", "WHISPER_WORKERS": "0"}, "WHISPER_WORKERS"),
    ({"WHISPER_DEVICE": "cpu", "WHISPER_CPU_THREADS": "many"}, "WHISPER_CPU_THREADS"),
])
def test_bad_model_settings(env, message):
    with pytest.raises(ValueError, match=message):
        ModelConfig.from_env(env)


def test_window_policy(monkeypatch):
    monkeypatch.delenv("WHISPER_ENCODER_WINDOW", raising=False)
    monkeypatch.delenv("WHISPER_WINDOW_MARGIN_S", raising=False)
    assert WindowPolicy.from_env() == WindowPolicy(True, 6.0)
    assert WindowPolicy.from_env().margin_frames == 600
    monkeypatch.setenv("WHISPER_ENCODER_WINDOW", "30s")
    assert WindowPolicy.from_env().margin_frames is None
    monkeypatch.setenv("WHISPER_ENCODER_WINDOW", "short")
    with pytest.raises(ValueError, match="WHISPER_ENCODER_WINDOW"):
        WindowPolicy.from_env()
    monkeypatch.setenv("WHISPER_ENCODER_WINDOW", "audio")
    monkeypatch.setenv("WHISPER_WINDOW_MARGIN_S", "lots")
    with pytest.raises(ValueError, match="WHISPER_WINDOW_MARGIN_S"):
        WindowPolicy.from_env()


def test_max_queue(monkeypatch):
    monkeypatch.delenv("WHISPER_MAX_QUEUE", raising=False)
    assert _max_queue() == DEFAULT_MAX_QUEUE
    monkeypatch.setenv("WHISPER_MAX_QUEUE", "0")
    assert _max_queue() == 0
    monkeypatch.setenv("WHISPER_MAX_QUEUE", "-3")
    with pytest.raises(ValueError, match="WHISPER_MAX_QUEUE"):
        _max_queue()
