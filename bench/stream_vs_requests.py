"""The same calls through both transports: LCA's request pattern and one streaming session per call.

``python -m bench.stream_vs_requests [--max-calls 4] [--model-dir DIR] [--json out.json]``

One server (``python -m inference serve``, the bundled tiny.en unless ``--model-dir``), one
run. N simultaneous two-channel calls made from the real clips are played in real time:

* **requests**: ``replay``'s reproduction of LCA's call transcriber (client VAD, a partial
  re-sending the whole utterance each second, a final after 600 ms of silence);
* **stream**: ``replay.stream``, each call one WebSocket session of Deepgram's protocol
  (server VAD endpointing, interims by agreement of consecutive decodes).

Per transport and N: final latency after the end of each turn's speech (p50, p95), turns
lost (no final word), WER of the finals with a 95 % bootstrap interval over turns, and
phantom partials / interims (a word shown live that neither the final nor the reference
has). N goes 1, 2, ... until both transports miss p95 < ``--target`` (1.5 s); the largest N
under it is the transport's calls per instance.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bench.capacity import start_server
from bench.corpus_wer import bootstrap, errors
from bench.handler_runner import load_line
from replay.call_source import Call, synthetic_call
from replay.clips import installed_model_dir, load_clips
from replay.phantoms import call_utterances, tally
from replay.report import percentile, summarise
from replay.runner import replay_calls
from replay.stream import score, stream_call
from replay.transport import HttpTransport

# ~45 s calls: long turns (interims to agree on) between short ones (a list, a command).
DEFAULT_CLIPS = ("librivox-0870", "cards-001", "goforward", "librivox-0890", "cards-005", "jfk",
                 "cards-002", "librivox-0930")
TRANSPORTS = ("requests", "stream")


@dataclass(frozen=True)
class Trial:
    transport: str
    calls: int
    p50_s: float | None
    p95_s: float | None
    lost_turns: int
    turns: int
    wer: float
    wer_low: float
    wer_high: float
    phantom_partials: int
    partials: int
    passed: bool


def made_calls(clips: list, calls: int) -> list[Call]:
    """``calls`` calls of the clips, each rotated so simultaneous calls differ."""
    return [synthetic_call(clips[i % len(clips):] + clips[:i % len(clips)], name=f"call{i + 1}") for i in range(calls)]


def turn_errors(pairs: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    counted = [errors(reference, heard) for reference, heard in pairs]
    return np.array([e for e, _ in counted]), np.array([w for _, w in counted])


def request_trial(url: str, calls: list[Call], target_s: float, rng: np.random.Generator) -> Trial:
    run = replay_calls(calls, lambda: HttpTransport(url), timeout_s=calls[0].seconds + 30)
    summary = summarise(run)
    pairs, lost = [], 0
    for result in run.results:
        heard: dict[str, list[str]] = {}
        for utterance in call_utterances(result):
            if utterance.reference:
                heard.setdefault(utterance.reference, []).append(utterance.final)
        for turn in result.call.turns:
            text = " ".join(heard.get(turn.reference, []))
            lost += not text.strip()
            pairs.append((turn.reference, text))
    return _trial("requests", len(calls), summary.latency_p50_s, summary.latency_p95_s, lost, pairs,
                  summary.phantoms.phantom_partials, summary.phantoms.partials, target_s, rng)


def stream_trial(url: str, calls: list[Call], target_s: float, rng: np.random.Generator) -> Trial:
    async def all_calls():
        return await asyncio.gather(*(stream_call(url, call) for call in calls))

    results = asyncio.run(all_calls())
    scores = [score(r) for r in results]
    latencies = [s for sc in scores for s in sc.latencies_s]
    pairs = [pair for sc in scores for pair in sc.turn_finals]
    phantoms = tally(u for sc in scores for u in sc.utterances)
    closed_badly = any(r.close_code != 1000 for r in results)
    p95 = None if closed_badly else percentile(latencies, 95)
    return _trial("stream", len(calls), percentile(latencies, 50), p95, sum(sc.lost_turns for sc in scores), pairs,
                  phantoms.phantom_partials, phantoms.partials, target_s, rng)


def _trial(transport, calls, p50, p95, lost, pairs, phantom_partials, partials, target_s, rng) -> Trial:
    edits, words = turn_errors(pairs)
    rate, low, high = bootstrap(edits, words, rng)
    passed = p95 is not None and p95 < target_s and lost == 0
    return Trial(transport, calls, p50, p95, lost, len(pairs), float(rate), float(low), float(high),
                 phantom_partials, partials, passed)


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def format_table(trials: Sequence[Trial], target_s: float) -> str:
    lines = [f"{'transport':<9} {'calls':>5} {'p50 s':>6} {'p95 s':>6} {'lost':>7} {'WER (95 % CI)':>22} "
             f"{'phantom live':>16}  p95 < {target_s:g} s"]
    for t in trials:
        live = f"{t.phantom_partials}/{t.partials}"
        live += f" ({t.phantom_partials / t.partials:.1%})" if t.partials else ""
        lost = f"{t.lost_turns}/{t.turns}"
        lines.append(f"{t.transport:<9} {t.calls:>5} {_f(t.p50_s):>6} {_f(t.p95_s):>6} {lost:>7} "
                     f"{f'{t.wer:.1%} [{t.wer_low:.1%}, {t.wer_high:.1%}]':>22} {live:>16}  "
                     f"{'yes' if t.passed else 'no'}")
    for transport in TRANSPORTS:
        most = max((t.calls for t in trials if t.transport == transport and t.passed), default=0)
        lines.append(f"{transport}: {most} call(s) per instance with final p95 < {target_s:g} s and no turn lost")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stream_vs_requests", description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=None, help="default: the bundled tiny.en")
    parser.add_argument("--clips", default=",".join(DEFAULT_CLIPS), help="clips that make each call")
    parser.add_argument("--max-calls", type=int, default=4)
    parser.add_argument("--target", type=float, default=1.5, help="final latency p95 bound, seconds")
    parser.add_argument("--json", type=Path, help="save the trials here")
    args = parser.parse_args(argv)
    if args.max_calls < 1:
        parser.error("--max-calls must be at least 1")
    model_dir = args.model_dir or installed_model_dir()
    clips = load_clips(tuple(c.strip() for c in args.clips.split(",") if c.strip()))
    rng = np.random.default_rng(0)
    trials: list[Trial] = []
    print(f"bench.stream_vs_requests: {model_dir.name}, calls of {len(clips)} clips; {load_line()}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as scratch:
        child, url = start_server("ours", model_dir, Path(scratch) / "server.log")
        try:
            stream_url = url.replace("http://", "ws://", 1) + "/v1/listen"
            request_trial(url, made_calls(clips[:2], 1), args.target, rng)  # warm-up
            for calls in range(1, args.max_calls + 1):
                made = made_calls(clips, calls)
                round_trials = [request_trial(url, made, args.target, rng),
                                stream_trial(stream_url, made, args.target, rng)]
                trials += round_trials
                print("  " + "; ".join(f"{t.transport} {calls}: p95 {_f(t.p95_s)} s" for t in round_trials),
                      file=sys.stderr)
                if not any(t.passed for t in round_trials):
                    break
        finally:
            child.stop()
    print(format_table(trials, args.target))
    if args.json:
        args.json.write_text(json.dumps([asdict(t) for t in trials], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
