"""What a replay measured: final-transcript latency, accuracy, request rate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from replay.phantoms import PhantomTally, call_utterances, tally
from replay.runner import ReplayRun
from replay.wer import wer as corpus_wer


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile, ``q`` in [0, 100]; ``None`` for no values.

    No values is an ordinary outcome here (a call whose finals were all lost), so it is
    an answer, not an error; the formatters print it as ``-``.
    """
    return float(np.percentile(values, q)) if len(values) else None


@dataclass(frozen=True)
class CallStats:
    """One call's figures."""

    call_id: str
    finals: int
    lost_finals: int
    p50_s: float | None
    p95_s: float | None
    requests: int
    failed_requests: int


@dataclass(frozen=True)
class ReplaySummary:
    """The replay's figures (all calls together).

    Attributes:
        calls: how many calls.
        finals: utterances that reached their final request.
        lost_finals: finals that produced no text (error, no speech, empty).
        open_at_end: utterances still open when their call ended (never sent by LCA).
        latency_p50_s / latency_p95_s / latency_max_s: wall seconds from the end of an
            utterance's speech to its final transcript, over finals that produced text.
        requests: InvokeEndpoint calls; failed_requests of them failed.
        request_p50_s: the median request's duration.
        requests_per_s: requests over the replay's wall time.
        wer: word error rate of the finals against the scripted references (None when
            the calls have no script, e.g. a user's WAV).
        per_call: ``CallStats`` for each call.
        phantoms: phantom partials and finals (``replay.phantoms``; finals judged only
            for calls with a script).
    """

    calls: int
    finals: int
    lost_finals: int
    open_at_end: int
    latency_p50_s: float | None
    latency_p95_s: float | None
    latency_max_s: float | None
    requests: int
    failed_requests: int
    request_p50_s: float | None
    requests_per_s: float
    wall_seconds: float
    wer: float | None
    per_call: tuple[CallStats, ...]
    phantoms: PhantomTally = PhantomTally(0, 0, 0, 0)


def summarise(run: ReplayRun) -> ReplaySummary:
    """Compute the figures of a replay."""
    latencies, refs, hyps, per_call = [], [], [], []
    requests = [r for res in run.results for r in res.requests]
    for res in run.results:
        kept = [f.latency_s for f in res.finals if f.text]
        latencies.extend(kept)
        per_call.append(CallStats(res.call_id, len(res.finals), sum(1 for f in res.finals if not f.text),
                                  percentile(kept, 50), percentile(kept, 95), len(res.requests),
                                  sum(1 for r in res.requests if r.error)))
        if res.call.turns:
            for channel in (0, 1):
                refs.append(" ".join(res.call.references(channel)))
                hyps.append(" ".join(res.final_texts(channel)))
    wer = None
    if refs:
        pairs = [(r, h) for r, h in zip(refs, hyps, strict=True) if r]
        wer = corpus_wer([r for r, _ in pairs], [h for _, h in pairs])
    return ReplaySummary(
        calls=len(run.results),
        finals=sum(len(r.finals) for r in run.results),
        lost_finals=sum(c.lost_finals for c in per_call),
        open_at_end=sum(r.open_at_end for r in run.results),
        latency_p50_s=percentile(latencies, 50),
        latency_p95_s=percentile(latencies, 95),
        latency_max_s=max(latencies) if latencies else None,
        requests=len(requests),
        failed_requests=sum(1 for r in requests if r.error),
        request_p50_s=percentile([r.seconds for r in requests], 50),
        requests_per_s=len(requests) / run.wall_seconds if run.wall_seconds > 0 else 0.0,
        wall_seconds=run.wall_seconds,
        wer=wer,
        per_call=tuple(per_call),
        phantoms=tally(u for res in run.results for u in call_utterances(res)),
    )


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def format_summary(summary: ReplaySummary, speed: float = 1.0) -> str:
    """A human-readable table of the summary."""
    lines = [f"{'call':<28} {'finals':>6} {'lost':>4} {'p50 s':>6} {'p95 s':>6} {'requests':>8} {'failed':>6}"]
    for c in summary.per_call:
        lines.append(f"{c.call_id:<28} {c.finals:>6} {c.lost_finals:>4} {_s(c.p50_s):>6} {_s(c.p95_s):>6} "
                     f"{c.requests:>8} {c.failed_requests:>6}")
    lines.append(
        f"final latency after end of speech: p50 {_s(summary.latency_p50_s)} s, "
        f"p95 {_s(summary.latency_p95_s)} s, max {_s(summary.latency_max_s)} s"
        + ("" if speed == 1 else f"  (replayed at {speed:g}x: not real-time figures)"))
    lines.append(f"requests: {summary.requests} ({summary.failed_requests} failed), "
                 f"{summary.requests_per_s:.2f}/s, median {_s(summary.request_p50_s)} s each; "
                 f"lost finals {summary.lost_finals}, open at hang-up {summary.open_at_end}")
    lines.append(summary.phantoms.describe() + " (words in neither the reference nor the final)")
    if summary.wer is not None:
        lines.append(f"WER of the finals vs the references: {summary.wer:.1%}")
    return "\n".join(lines)
