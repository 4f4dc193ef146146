"""WER with 95 % bootstrap intervals on the larger corpus: ours (short window, 30 s) vs the original.

    python -m bench.corpus_wer [--every N] [--json PATH]

The corpus is ``scripts/fetch_speech_corpus.py``'s (Asterisk's IVR prompts, 366 utterances,
2,741 reference words). Each utterance is sent as LCA's final request for it: telephone
band (8 kHz), upsampled by repetition, a JSON ``audio_input`` with LCA's parameters; the
handlers take each request in turn (interleaved). Intervals: 1,000 resamples of the
utterances with replacement; the difference to the original is paired (same resamples).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import jiwer
import numpy as np

from bench import original_handler
from bench.handler_runner import HookHandler
from bench.lca_workload import final_audio, telephone_audio
from inference import handler as ours
from inference.config import ServingConfig
from replay.clips import installed_model_dir, testdata_root
from replay.lca_audio import LCA_PARAMETERS, lca_request_body, lca_transcript, wav_bytes
from replay.wer import normalise

RESAMPLES = 1000


def corpus_dir() -> Path:
    return testdata_root() / "corpus"


def load_corpus(every: int = 1) -> list[dict]:
    """The corpus entries (every ``every``-th), with absolute paths.

    Raises:
        FileNotFoundError: the corpus is not installed (run ``scripts/fetch_speech_corpus.py``).
    """
    index = corpus_dir() / "corpus.json"
    if not index.is_file():
        raise FileNotFoundError(f"{index} is missing: run scripts/fetch_speech_corpus.py")
    entries = json.loads(index.read_text())[::every]
    return [{**e, "path": corpus_dir() / e["file"]} for e in entries]


def errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word edits, reference words) of one utterance after ``replay.wer.normalise``."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return len(hyp.split()), 0
    out = jiwer.process_words(ref, hyp or "")
    return out.substitutions + out.deletions + out.insertions, len(ref.split())


def bootstrap(edits: np.ndarray, words: np.ndarray, rng: np.random.Generator) -> tuple[float, float, float]:
    """Corpus WER and its 95 % interval over utterances."""
    picks = rng.integers(0, len(words), size=(RESAMPLES, len(words)))
    rates = edits[picks].sum(axis=1) / words[picks].sum(axis=1)
    return edits.sum() / words.sum(), *np.percentile(rates, [2.5, 97.5])


def measure(entries: Sequence[dict], model_dir: Path) -> dict:
    handlers = {
        "original": HookHandler.load("original", original_handler, model_dir),
        "ours": HookHandler("ours", ours, ours.load_transcriber(model_dir, ServingConfig())),
        "ours, 30 s window": HookHandler("ours 30 s", ours, ours.load_transcriber(
            model_dir, dataclasses.replace(ServingConfig(), short_window=False))),
    }
    # ours as it was before VAD went on by default (the request asks for it off)
    handlers["ours, VAD off"] = handlers["ours"]
    extra = {"ours, VAD off": {**LCA_PARAMETERS, "vad_filter": False}}
    texts = {name: [] for name in handlers}
    seconds = {name: 0.0 for name in handlers}
    for entry in entries:
        audio = wav_bytes(final_audio(telephone_audio(entry["path"])))
        for name, h in handlers.items():
            body = lca_request_body(audio, extra.get(name))
            start = time.perf_counter()
            texts[name].append(lca_transcript(json.loads(h.invoke(body))) or "")
            seconds[name] += time.perf_counter() - start
    table = {}
    words = np.array([errors(e["reference"], "")[1] for e in entries])
    edits = {n: np.array([errors(e["reference"], t)[0] for e, t in zip(entries, ts, strict=True)])
             for n, ts in texts.items()}
    for name in handlers:
        wer, low, high = bootstrap(edits[name], words, np.random.default_rng(0))
        diff = bootstrap(edits[name] - edits["original"], words, np.random.default_rng(0))
        table[name] = {"wer": wer, "ci95": [low, high], "minus_original": diff[0], "minus_original_ci95": diff[1:],
                       "mean_request_s": seconds[name] / len(entries)}
    return {"utterances": len(entries), "words": int(words.sum()), "handlers": table,
            "texts": {n: ts for n, ts in texts.items()}}


def format_results(r: dict) -> str:
    lines = [f"{r['utterances']} utterances, {r['words']} reference words; 95 % bootstrap over utterances",
             f"{'handler':<18} {'WER':>6} {'95 % interval':>15} {'minus original':>15} {'its 95 % interval':>18} "
             f"{'mean request':>12}"]
    for name, h in r["handlers"].items():
        lo, hi = h["ci95"]
        dlo, dhi = h["minus_original_ci95"]
        lines.append(f"{name:<18} {100 * h['wer']:>5.2f}% {100 * lo:>6.2f}-{100 * hi:.2f}% "
                     f"{100 * h['minus_original']:>+14.2f}% {100 * dlo:>+8.2f} to {100 * dhi:+.2f}% "
                     f"{1000 * h['mean_request_s']:>10.0f} ms")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.corpus_wer", description=__doc__.split("\n")[0])
    parser.add_argument("--every", type=int, default=1, help="take every N-th utterance (quicker runs)")
    parser.add_argument("--json", type=Path, help="also write the figures and texts here")
    args = parser.parse_args(argv)
    if args.every < 1:
        parser.error("--every must be at least 1")
    try:
        results = measure(load_corpus(args.every), installed_model_dir())
    except Exception as exc:  # a CLI: one line
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(format_results(results))
    print(f"load average (1, 5, 15 min) at the end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=float) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
