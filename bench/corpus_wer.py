"""WER with 95 % bootstrap intervals on the larger corpus, per source and pooled: ours vs the original.

    python -m bench.corpus_wer [--every N] [--model-dir DIR] [--json PATH]

The corpus is ``scripts/fetch_speech_corpus.py``'s: Asterisk's IVR prompts (one voice),
the Montreal Forced Aligner's test speech (7 speakers) and a LibriVox sonnet (one reader).
Each utterance is sent as LCA's final request for it: telephone band (8 kHz), upsampled
by repetition, followed by the Lambda's 600 ms hang-over silence, a JSON ``audio_input``
with LCA's parameters; the handlers take each request in turn (interleaved). "stream" is
the same model behind the streaming session instead: the utterance's 8 kHz audio with 1 s
of silence before and 1.5 s after, in 100 ms frames, its finals as the session's rules cut
and decode them (``bench.stream_offline``). Figures are given per source (so that the
prompts' one voice, most of the words, hides no other speaker) and pooled. Intervals: 1,000
resamples of the utterances with replacement (within the source, or over all of them for the
pooled figure); differences between handlers are paired (same resamples).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import jiwer
import numpy as np

from bench import original_handler
from bench.handler_runner import HookHandler, load_line
from bench.lca_workload import final_audio, telephone_audio
from bench.stream_offline import session_finals
from inference import handler as ours
from inference.config import ServingConfig
from replay.clips import FILLERS, installed_model_dir, telephone_clip, testdata_root
from replay.lca_audio import LCA_PARAMETERS, TELEPHONE_RATE, lca_request_body, lca_transcript, wav_bytes
from replay.wer import normalise

RESAMPLES = 1000
HANDLERS = ("original", "ours", "ours, 30 s window", "ours, VAD off", "stream")
# (handler, baseline) pairs whose paired difference is reported: ours vs LCA's original, the
# short encoder window vs the 30 s one it replaces, and the stream's finals vs LCA's requests.
COMPARISONS = (("ours", "original"), ("ours", "ours, 30 s window"), ("stream", "original"), ("stream", "ours"))
STREAM_SILENCE_S = (1.0, 1.5)  # before and after an utterance streamed alone
POOLED = "pooled"


def corpus_dir() -> Path:
    return testdata_root() / "corpus"


def load_corpus(every: int = 1) -> list[dict]:
    """The corpus entries (every ``every``-th of each source), with absolute paths.

    Raises:
        FileNotFoundError: the corpus is not installed or predates its sources (run
            ``scripts/fetch_speech_corpus.py``).
    """
    index = corpus_dir() / "corpus.json"
    if not index.is_file():
        raise FileNotFoundError(f"{index} is missing: run scripts/fetch_speech_corpus.py")
    entries = json.loads(index.read_text())
    if any("set" not in e for e in entries):
        raise FileNotFoundError(f"{index} names no sources: run scripts/fetch_speech_corpus.py again")
    sources = sorted({e["set"] for e in entries})
    return [{**e, "path": corpus_dir() / e["file"]}
            for source in sources for e in [e for e in entries if e["set"] == source][::every]]


def errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word edits, reference words) of one utterance after ``replay.wer.normalise``, fillers dropped."""
    ref, hyp = (" ".join(w for w in normalise(t).split() if w not in FILLERS) for t in (reference, hypothesis))
    if not ref:
        return len(hyp.split()), 0
    out = jiwer.process_words(ref, hyp or "")
    return out.substitutions + out.deletions + out.insertions, len(ref.split())


def bootstrap(edits: np.ndarray, words: np.ndarray, rng: np.random.Generator) -> tuple[float, float, float]:
    """Corpus WER and its 95 % interval, resampling the utterances (rows) with replacement."""
    picks = rng.integers(0, len(words), size=(RESAMPLES, len(words)))
    rates = edits[picks].sum(axis=1) / words[picks].sum(axis=1)
    return edits.sum() / words.sum(), *np.percentile(rates, [2.5, 97.5])


def load_handlers(model_dir: Path, names: Sequence[str] = HANDLERS) -> dict[str, HookHandler]:
    """The handlers by name; "ours, VAD off" is ours itself, its requests asking for VAD off."""
    unknown = [n for n in names if n not in HANDLERS]
    if unknown:
        raise ValueError(f"unknown handlers {unknown}; choose from {', '.join(HANDLERS)}")
    made = {}
    if "original" in names:
        made["original"] = HookHandler.load("original", original_handler, model_dir)
    if {"ours", "ours, VAD off", "stream"} & set(names):
        default = HookHandler("ours", ours, ours.load_transcriber(model_dir, ServingConfig()))
        made.update({"ours": default, "ours, VAD off": default, "stream": default})
    if "ours, 30 s window" in names:
        config = dataclasses.replace(ServingConfig(), short_window=False)
        made["ours, 30 s window"] = HookHandler("ours 30 s", ours, ours.load_transcriber(model_dir, config))
    return {n: made[n] for n in names}


def transcribe(entries: Sequence[dict], handlers: dict[str, HookHandler]) -> tuple[dict, dict]:
    """Every utterance through every handler, interleaved: (texts, summed seconds) per handler."""
    extra = {"ours, VAD off": {**LCA_PARAMETERS, "vad_filter": False}}
    texts = {name: [] for name in handlers}
    seconds = {name: [] for name in handlers}
    for entry in entries:
        audio = wav_bytes(final_audio(telephone_audio(entry["path"])))
        for name, h in handlers.items():
            start = time.perf_counter()
            if name == "stream":
                texts[name].append(streamed_text(h.model, telephone_clip(entry["path"])))
            else:
                body = lca_request_body(audio, extra.get(name))
                texts[name].append(lca_transcript(json.loads(h.invoke(body))) or "")
            seconds[name].append(time.perf_counter() - start)
    return texts, seconds


def streamed_text(transcriber, pcm: np.ndarray) -> str:
    """The words of the finals a streaming session sends for ``pcm`` (8 kHz int16) alone."""
    before, after = (np.zeros(int(s * TELEPHONE_RATE), np.int16) for s in STREAM_SILENCE_S)
    finals = session_finals(transcriber, np.concatenate([before, pcm, after]), TELEPHONE_RATE)
    return " ".join(w.text for final in finals for w in final.words)


def score(rows: np.ndarray, edits: dict[str, np.ndarray], words: np.ndarray, seconds: dict) -> dict:
    """WER, interval and paired differences of the utterances ``rows``, for every handler."""
    table = {}
    for name in edits:
        wer, low, high = bootstrap(edits[name][rows], words[rows], np.random.default_rng(0))
        table[name] = {"wer": wer, "ci95": [low, high], "mean_request_s": float(np.mean(seconds[name][rows]))}
    paired = {}
    for name, base in COMPARISONS:
        if name in edits and base in edits:
            diff = bootstrap(edits[name][rows] - edits[base][rows], words[rows], np.random.default_rng(0))
            paired[f"{name} minus {base}"] = {"points": diff[0], "ci95": list(diff[1:])}
    return {"utterances": len(rows), "words": int(words[rows].sum()), "handlers": table, "paired": paired}


def measure(entries: Sequence[dict], model_dir: Path, names: Sequence[str] = HANDLERS) -> dict:
    """Per-source and pooled figures for the handlers ``names`` over ``entries``."""
    texts, seconds = transcribe(entries, load_handlers(model_dir, names))
    words = np.array([errors(e["reference"], "")[1] for e in entries])
    edits = {n: np.array([errors(e["reference"], t)[0] for e, t in zip(entries, ts, strict=True)])
             for n, ts in texts.items()}
    seconds = {n: np.array(s) for n, s in seconds.items()}
    sets = np.array([e["set"] for e in entries])
    groups = {source: np.flatnonzero(sets == source) for source in dict.fromkeys(sets)}
    groups[POOLED] = np.arange(len(entries))
    figures = {}
    for source, rows in groups.items():
        figures[source] = score(rows, edits, words, seconds)
        figures[source]["speakers"] = len({entries[i]["speaker"] for i in rows})
        figures[source]["licences"] = sorted({entries[i]["licence"] for i in rows})
    return {"sources": figures, "texts": texts, "names": [e["name"] for e in entries]}


def format_results(r: dict) -> str:
    lines = ["95 % bootstrap intervals over utterances (1,000 resamples); differences are paired",
             f"{'source':<9} {'utts':>5} {'words':>6} {'spk':>4}  {'handler':<18} {'WER':>6} {'95 % interval':>14} "
             f"{'minus original':>15} {'its 95 % interval':>18} {'mean request':>12}"]
    for source, f in r["sources"].items():
        first = f"{source:<9} {f['utterances']:>5} {f['words']:>6} {f['speakers']:>4}"
        for name, h in f["handlers"].items():
            lo, hi = h["ci95"]
            diff = f["paired"].get(f"{name} minus original")
            versus = (f"{100 * diff['points']:>+14.2f}% {100 * diff['ci95'][0]:>+8.2f} to "
                      f"{100 * diff['ci95'][1]:+.2f}%" if diff else f"{'':>15} {'':>18}")
            lines.append(f"{first:<27}  {name:<18} {100 * h['wer']:>5.2f}% {100 * lo:>6.2f}-{100 * hi:.2f}% "
                         f"{versus} {1000 * h['mean_request_s']:>10.0f} ms")
            first = ""
        for label, diff in f["paired"].items():
            if not label.endswith("minus original"):
                lo, hi = diff["ci95"]
                lines.append(f"{'':<27}  {label}: {100 * diff['points']:+.2f} points "
                             f"[{100 * lo:+.2f}, {100 * hi:+.2f}]")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.corpus_wer", description=__doc__.split("\n")[0])
    parser.add_argument("--every", type=int, default=1,
                        help="take every N-th utterance of each source (quicker runs)")
    parser.add_argument("--json", type=Path, help="also write the figures and texts here")
    parser.add_argument("--model-dir", type=Path, default=None, help="default: the bundled tiny.en")
    args = parser.parse_args(argv)
    if args.every < 1:
        parser.error("--every must be at least 1")
    if args.model_dir and not (args.model_dir / "model.bin").is_file():
        parser.error(f"--model-dir {args.model_dir} holds no model.bin")
    try:
        corpus = load_corpus(args.every)  # first: without the corpus, the model is not the problem
        model_dir = args.model_dir or installed_model_dir()
        print(f"model {model_dir}", file=sys.stderr)
        results = measure(corpus, model_dir)
    except Exception as exc:  # a CLI: one line
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(format_results(results))
    print(load_line())
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=float) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
