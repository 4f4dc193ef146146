"""The serving configuration: read once from the environment, documented in one table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from inference.config import VARIABLES, ServingConfig

PACKAGE = Path(__file__).resolve().parents[2] / "inference"


def documented_variables() -> dict[str, str]:
    """The README's environment table: variable -> default column."""
    text = (PACKAGE / "README.md").read_text()
    section = text.split("## Environment", 1)[1].split("\n## ", 1)[0]
    return {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)` \| ([^|]*) \|", section, re.M)}


def test_every_variable_the_code_reads_is_documented_and_vice_versa():
    read = set(re.findall(r'env\.\w+\("(WHISPER_[A-Z0-9_]+)"', (PACKAGE / "config.py").read_text()))
    assert read == set(VARIABLES), "from_env reads exactly the declared variables"
    mentioned = set()
    for path in PACKAGE.glob("*.py"):  # error messages name variables: they must be real ones
        mentioned |= set(re.findall(r"\bWHISPER_[A-Z0-9_]+", path.read_text()))
    assert mentioned == set(VARIABLES)
    assert set(documented_variables()) == set(VARIABLES)
    assert set(VARIABLES.values()) <= set(ServingConfig.__dataclass_fields__)


def test_only_the_configuration_reads_whisper_variables_or_writes_the_environment():
    for path in PACKAGE.glob("*.py"):
        text = path.read_text()
        assert not re.search(r"os\.environ\[[^]]*\]\s*=|os\.putenv|environ\.(update|setdefault)", text), path.name
        if path.name != "config.py":
            assert not re.search(r"(environ|getenv)[^\n]*WHISPER_", text), path.name


def test_defaults_match_the_table():
    documented, default = documented_variables(), ServingConfig()
    for name, field in VARIABLES.items():
        value = getattr(default, field)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value:
            assert f"`{value:g}`" in documented[name] or f"`{value}`" in documented[name], (name, value)


def test_defaults_and_resolution_on_cpu():
    config = ServingConfig.from_env({}).resolved()
    assert config == ServingConfig.from_env({"WHISPER_DEVICE": ""}).resolved()
    config = ServingConfig.from_env({"WHISPER_DEVICE": "cpu"}).resolved()
    assert (config.device, config.compute_type, config.workers) == ("cpu", "int8", 1)
    assert config.cpu_threads >= 1 and config.margin_frames == 600


def test_every_variable_is_read():
    env = {"WHISPER_DEVICE": "CPU", "WHISPER_COMPUTE_TYPE": "float32", "WHISPER_CPU_THREADS": "3",
           "WHISPER_WORKERS": "2", "WHISPER_MAX_QUEUE": "0", "WHISPER_ENCODER_WINDOW": "30s",
           "WHISPER_WINDOW_MARGIN_S": "4.5", "WHISPER_WINDOW_FILL": "zero", "WHISPER_MAX_AUDIO_S": "60",
           "WHISPER_MIN_SAMPLE_RATE": "16000", "WHISPER_MAX_SAMPLE_RATE": "16000", "WHISPER_MAX_CHANNELS": "1",
           "WHISPER_MAX_TEMPERATURES": "3", "WHISPER_DECODE_BUDGET_S": "12", "WHISPER_BODY_TIMEOUT_S": "2",
           "WHISPER_IDLE_TIMEOUT_S": "3", "WHISPER_MAX_READING": "4", "WHISPER_SHUTDOWN_GRACE_S": "7",
           "WHISPER_S3_ALLOWED_BUCKETS": " a, b ,", "WHISPER_S3_MAX_BYTES": "1000",
           "WHISPER_S3_CONNECT_TIMEOUT_S": "1", "WHISPER_S3_READ_TIMEOUT_S": "2", "WHISPER_S3_MAX_ATTEMPTS": "1",
           "WHISPER_MAX_PAYLOAD_BYTES": "1073741824", "WHISPER_PIPELINE": "Batched", "WHISPER_BATCH_SIZE": "4",
           "WHISPER_MIN_PARTIAL_CONFIDENCE": "0.85", "WHISPER_PARTIAL_TAIL_PROBABILITY": "1",
           "WHISPER_MAX_STREAMS": "0", "WHISPER_STREAM_IDLE_S": "1.5",
           "WHISPER_MAX_STREAM_S": "60", "WHISPER_MAX_FRAME_BYTES": "4096", "WHISPER_STREAM_MAX_BUFFER_S": "30"}
    assert set(env) == set(VARIABLES)
    config = ServingConfig.from_env(env)
    assert config == ServingConfig("cpu", "float32", 3, 2, 0, False, 4.5, "zero", 60, 16000, 16000, 1, 3, 12, 2, 3,
                                   4, 7, frozenset({"a", "b"}), 1000, 1, 2, 1, 1 << 30, "batched", 4, 0.85, 1.0,
                                   0, 1.5, 60, 4096, 30)
    assert config.margin_frames is None
    assert ServingConfig.from_env(env) is not config and ServingConfig.from_env(env) == config


@pytest.mark.parametrize("env, message", [
    ({"WHISPER_DEVICE": "tpu"}, "WHISPER_DEVICE"),
    ({"WHISPER_WORKERS": "0"}, "WHISPER_WORKERS"),
    ({"WHISPER_CPU_THREADS": "many"}, "WHISPER_CPU_THREADS"),
    ({"WHISPER_MAX_QUEUE": "-3"}, "WHISPER_MAX_QUEUE"),
    ({"WHISPER_ENCODER_WINDOW": "short"}, "WHISPER_ENCODER_WINDOW"),
    ({"WHISPER_WINDOW_MARGIN_S": "lots"}, "WHISPER_WINDOW_MARGIN_S"),
    ({"WHISPER_WINDOW_FILL": "noise"}, "WHISPER_WINDOW_FILL"),
    ({"WHISPER_MAX_AUDIO_S": "nan"}, "WHISPER_MAX_AUDIO_S"),
    ({"WHISPER_MIN_SAMPLE_RATE": "48000", "WHISPER_MAX_SAMPLE_RATE": "8000"}, "must not exceed"),
    ({"WHISPER_S3_MAX_ATTEMPTS": "0"}, "WHISPER_S3_MAX_ATTEMPTS"),
    ({"WHISPER_MAX_PAYLOAD_BYTES": "2000000000"}, "WHISPER_MAX_PAYLOAD_BYTES"),  # above SageMaker async's 1 GB
    ({"WHISPER_MIN_PARTIAL_CONFIDENCE": "1.5"}, "WHISPER_MIN_PARTIAL_CONFIDENCE"),
    ({"WHISPER_PARTIAL_TAIL_PROBABILITY": "-0.1"}, "WHISPER_PARTIAL_TAIL_PROBABILITY"),
])
def test_bad_values_name_the_variable(env, message):
    with pytest.raises(ValueError, match=message):
        ServingConfig.from_env(env)


def test_unsupported_compute_type_is_refused_at_load():
    with pytest.raises(ValueError, match="not supported on cpu"):
        ServingConfig.from_env({"WHISPER_DEVICE": "cpu", "WHISPER_COMPUTE_TYPE": "float64"}).resolved()


def test_the_partial_confidence_default_is_the_models_own(model_dir, base_dir, tmp_path):
    from builder.models import MODELS
    from inference.config import PARTIAL_CONFIDENCE, PARTIAL_CONFIDENCE_BY_MODEL

    # the models are known by their config.json, as the builder pins it from the Hub
    pinned = {MODELS[size].files["config.json"].sha256 for size in ("tiny.en", "base")}
    assert set(PARTIAL_CONFIDENCE_BY_MODEL) == pinned
    for path in (model_dir, base_dir):
        resolved = ServingConfig.from_env({}).for_model(path)
        assert resolved.min_partial_confidence in PARTIAL_CONFIDENCE_BY_MODEL.values()
        assert resolved.for_model(path) == resolved
    (tmp_path / "config.json").write_text("{}")  # a model nobody measured
    assert ServingConfig().for_model(tmp_path).min_partial_confidence == PARTIAL_CONFIDENCE
    chosen = ServingConfig.from_env({"WHISPER_MIN_PARTIAL_CONFIDENCE": "0.85"})
    assert chosen.for_model(model_dir).min_partial_confidence == 0.85  # the deployment's word wins
