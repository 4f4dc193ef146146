"""How many simultaneous LCA calls one instance carries: ours vs LCA's original handler.

``python -m bench.capacity [--max-calls 8] [--clips a,b,c]``

Same model (bundled tiny.en), same machine, one run. Each server runs alone (the other
is stopped) behind the same HTTP contract; ``replay`` plays N simultaneous two-channel
calls made from the real clips, in real time, through LCA's call transcriber logic.
Each trial has at least 18 finals (fewer calls -> longer calls). N goes 1, 2, 3, ...
until the final-transcript latency p95 (end of speech -> final)
reaches ``--target`` (1.5 s) or a trial overruns; capacity is the largest N under it.
Prints a table; ``--json`` saves the figures.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.handler_runner import load_line
from demo.processes import Child, free_port, wait_for_ping
from replay.call_source import synthetic_call
from replay.clips import installed_model_dir, load_clips
from replay.report import summarise
from replay.runner import replay_calls
from replay.transport import HttpTransport

REPO = Path(__file__).resolve().parent.parent
# ~20 s calls of six short turns (1.1-3.5 s, like most call-centre utterances): enough
# finals per call for a p95, short enough to try several call counts in a few minutes.
DEFAULT_CLIPS = ("cards-001", "cards-002", "goforward", "cards-003", "cards-005", "cards-004")
SERVERS = {
    "ours": ["-m", "inference", "serve"],
    "original": ["-m", "bench.original_server"],
}


@dataclass(frozen=True)
class Trial:
    """One server at N simultaneous calls."""

    server: str
    calls: int
    p50_s: float | None
    p95_s: float | None
    requests_per_s: float
    request_p50_s: float | None
    failed_requests: int
    lost_finals: int
    wer: float | None
    overran: bool
    passed: bool


def start_server(kind: str, model_dir: Path, log: Path) -> tuple[Child, str]:
    """Start one server in its own process group and wait for /ping 200."""
    port = free_port()
    child = Child(kind, [sys.executable, *SERVERS[kind], "--model-dir", str(model_dir), "--port", str(port)],
                  log, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_ping(url, child, timeout=180)
    except RuntimeError:
        child.stop()
        raise
    return child, url


# A p95 over a handful of finals is just the worst one: few calls get longer calls.
MIN_FINALS = 18


def run_trial(kind: str, url: str, clips: list, calls: int, target_s: float, stagger_s: float) -> Trial:
    reps = max(1, math.ceil(MIN_FINALS / (calls * len(clips))))
    made = [synthetic_call((clips[i % len(clips):] + clips[:i % len(clips)]) * reps, name=f"{kind}{i + 1}")
            for i in range(calls)]
    # A call that lags more than a few seconds has failed already; do not wait for it.
    budget = made[0].seconds + calls * stagger_s + 20
    run = replay_calls(made, lambda: HttpTransport(url), stagger_s=stagger_s, timeout_s=budget)
    s = summarise(run)
    overran = any(r.aborted for r in run.results) or len(run.results) < calls
    passed = (not overran and s.latency_p95_s is not None and s.latency_p95_s < target_s
              and s.failed_requests == 0)
    return Trial(kind, calls, s.latency_p50_s, s.latency_p95_s, s.requests_per_s, s.request_p50_s, s.failed_requests,
                 s.lost_finals, s.wer, overran, passed)


def measure(kind: str, model_dir: Path, clips: list, max_calls: int, target_s: float, stagger_s: float,
            log=print) -> list[Trial]:
    """Trials at 1, 2, ... calls until one fails the target (that one is kept in the list)."""
    trials = []
    with tempfile.TemporaryDirectory() as scratch:
        child, url = start_server(kind, model_dir, Path(scratch) / "server.log")
        try:
            run_trial(kind, url, clips[:1], 1, target_s, stagger_s)  # warm-up: first requests are slower
            for calls in range(1, max_calls + 1):
                trial = run_trial(kind, url, clips, calls, target_s, stagger_s)
                trials.append(trial)
                log(f"  {kind:<8} {calls} call(s): p95 {_f(trial.p95_s)} s -> {'ok' if trial.passed else 'over'}")
                if not trial.passed:
                    break
        finally:
            child.stop()
    return trials


def capacity(trials: list[Trial]) -> int:
    return max((t.calls for t in trials if t.passed), default=0)


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def format_table(results: dict[str, list[Trial]], target_s: float) -> str:
    lines = [f"{'server':<9} {'calls':>5} {'p50 s':>6} {'p95 s':>6} {'req/s':>6} {'req p50':>7} {'failed':>6} "
             f"{'lost':>4} {'WER':>6}  p95 < {target_s:g} s"]
    for kind, trials in results.items():
        for t in trials:
            lines.append(f"{kind:<9} {t.calls:>5} {_f(t.p50_s):>6} {_f(t.p95_s):>6} {t.requests_per_s:>6.2f} "
                         f"{_f(t.request_p50_s):>7} {t.failed_requests:>6} {t.lost_finals:>4} "
                         f"{'-' if t.wer is None else f'{t.wer:.1%}':>6}  "
                         f"{'yes' if t.passed else ('overran' if t.overran else 'no')}")
    lines.append(f"capacity (max simultaneous calls with final p95 < {target_s:g} s): {capacity_summary(results)}")
    return "\n".join(lines)


def capacity_summary(results: dict[str, list[Trial]]) -> str:
    """Each measured server's capacity, and the ratio only when both were measured."""
    figures = {kind: capacity(trials) for kind, trials in results.items()}
    text = ", ".join(f"{kind} {calls}" for kind, calls in figures.items())
    if "ours" in figures and "original" in figures:
        ours, original = figures["ours"], figures["original"]
        ratio = f"{ours / original:.1f}x" if original else ("n/a (baseline carries no call)" if ours else "n/a")
        text += f", ratio {ratio}"
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=None, help="default: the bundled tiny.en")
    parser.add_argument("--clips", default=",".join(DEFAULT_CLIPS), help="clips that make each call")
    parser.add_argument("--max-calls", type=int, default=8)
    parser.add_argument("--target", type=float, default=1.5, help="final latency p95 bound, seconds")
    parser.add_argument("--stagger", type=float, default=0.7, help="seconds between call starts")
    parser.add_argument("--servers", default="ours,original", help="which servers, in order")
    parser.add_argument("--json", type=Path, help="save the trials here")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.servers.split(",") if k.strip()]
    unknown = sorted(set(kinds) - set(SERVERS))
    if unknown or not kinds:
        parser.error(f"--servers: choose from {', '.join(SERVERS)} (got {args.servers!r})")
    if args.max_calls < 1:
        parser.error("--max-calls must be at least 1")
    if args.model_dir and not (args.model_dir / "model.bin").is_file():
        parser.error(f"--model-dir {args.model_dir} holds no model.bin")
    names = tuple(n.strip() for n in args.clips.split(",") if n.strip())
    try:
        clips = load_clips(names)
    except KeyError as exc:
        parser.error(f"--clips: {exc.args[0]}")
    except FileNotFoundError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    if not clips:
        parser.error("--clips names no clip")
    try:
        model_dir = args.model_dir or installed_model_dir()
        print(f"capacity: {len(clips)}-turn calls of {synthetic_call(clips).seconds:.1f} s, model {model_dir}",
              file=sys.stderr)
        results = {k: measure(k, model_dir, clips, args.max_calls, args.target, args.stagger,
                              log=lambda m: print(m, file=sys.stderr)) for k in kinds}
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(format_table(results, args.target))
    # The machine may be shared: the load says how much CPU the servers really had.
    print(load_line())
    if args.json:
        args.json.write_text(json.dumps({k: [asdict(t) for t in v] for k, v in results.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
