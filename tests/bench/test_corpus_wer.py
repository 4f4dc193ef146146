"""The larger corpus: its transcript rules (real lines of Asterisk's core-sounds-en.txt), and
bench.corpus_wer's per-utterance errors and bootstrap interval."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from bench.corpus_wer import bootstrap, errors

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fetch_speech_corpus.py"


@pytest.fixture(scope="module")
def fetcher():
    spec = importlib.util.spec_from_file_location("fetch_speech_corpus", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_transcript_lines_become_spoken_references(fetcher):
    lines = "\n".join([
        "; comment",
        "beep: [this is a simple beep tone]",
        "confbridge-join: <beep ascending>",
        "silence/1: (1 second of silence)",
        "demo-enterkeywords: Please enter one or more keywords separated by * and then press the pound key.",
        "letters/at: at [@]",
        "vm-intro: Please leave your message after the tone.  When done hang up or press the pound key. "
        "(simple tone sound plays)",
    ])
    assert fetcher.references(lines) == {
        "demo-enterkeywords": "Please enter one or more keywords separated by star and then press the pound key.",
        "letters/at": "at",
        "vm-intro": "Please leave your message after the tone. When done hang up or press the pound key.",
    }


def test_a_file_that_is_no_debian_package_is_refused(fetcher, tmp_path):
    bogus = tmp_path / "x.deb"
    bogus.write_bytes(b"PK\x03\x04 not an ar archive")
    with pytest.raises(SystemExit, match="is not a Debian package"):
        fetcher.deb_data(bogus)


def test_errors_count_edits_after_normalisation():
    assert errors("Press 5, then the pound key.", "press five then the pound key") == (0, 6)
    assert errors("Goodbye.", "Good bye!") == (2, 1)  # one substitution, one insertion
    assert errors("Activated.", "") == (1, 1)


def test_bootstrap_interval_brackets_the_corpus_wer():
    edits, words = np.array([0, 1, 0, 3, 0, 0, 2, 0]), np.array([4, 5, 3, 6, 2, 7, 5, 4])
    wer, low, high = bootstrap(edits, words, np.random.default_rng(0))
    assert wer == pytest.approx(6 / 36)
    assert 0 <= low < wer < high <= 0.5
    same = bootstrap(np.zeros(8, dtype=int), words, np.random.default_rng(0))
    assert same == (0.0, 0.0, 0.0)
