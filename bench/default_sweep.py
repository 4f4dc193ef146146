"""Measure candidate request defaults of our handler on LCA's workload.

LCA sends short utterances (1-11 s here) with ``beam_size=5`` and no other decoding
option, so the handler's defaults decide most of its latency. Each candidate is a set of
request ``parameters`` laid over LCA's own, plus environment settings the handler reads
in ``model_fn`` (one handler is loaded per distinct environment). All candidates run on
the same requests, interleaved request by request so background load hits them alike,
and are scored on latency over every request and WER of the finals.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from bench import lca_workload
from bench.handler_runner import HookHandler, Run, format_table, timed_call
from replay.lca_audio import LCA_PARAMETERS
from replay.report import percentile

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Candidate:
    """One setting to measure: request ``parameters`` laid over LCA's, handler ``env`` at load."""

    name: str
    parameters: dict = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def request_parameters(self) -> dict:
        return {**LCA_PARAMETERS, **self.parameters}


# For our handler (inference.handler: its parameters and WHISPER_* settings, inference/README.md).
_WINDOW_30S = {"WHISPER_ENCODER_WINDOW": "30s"}
DEFAULT_CANDIDATES = (
    Candidate("handler defaults, as LCA sends"),
    Candidate("beam 1", {"beam_size": 1}),
    Candidate("vad on", {"vad_filter": True}),
    Candidate("without timestamps", {"without_timestamps": True}),
    Candidate("no_speech filter off", {"no_speech_threshold": None}),
    Candidate("window margin 1 s", env={"WHISPER_WINDOW_MARGIN_S": "1"}),
    Candidate("window margin 2 s", env={"WHISPER_WINDOW_MARGIN_S": "2"}),
    Candidate("window margin 5 s", env={"WHISPER_WINDOW_MARGIN_S": "5"}),
    Candidate("30 s window", env=_WINDOW_30S),
)

_AUDIO = {"window": "audio"}
# For bench.window_probe: the encoder window (30 s pad vs the audio's length plus a margin).
WINDOW_CANDIDATES = (
    Candidate("pad 30 s, beam 5"),
    Candidate("pad 30 s, beam 1", {"beam_size": 1}),
    Candidate("pad 30 s, beam 5, vad", {"vad_filter": True}),
    Candidate("audio+1 s, beam 5", {**_AUDIO, "extra_s": 1}),
    Candidate("audio+2 s, beam 5", {**_AUDIO, "extra_s": 2}),
    Candidate("audio+3 s, beam 5", {**_AUDIO, "extra_s": 3}),
    Candidate("audio+2 s, beam 5, fallback", {**_AUDIO, "extra_s": 2, "fallback_tokens_per_s": 6}),
    Candidate("audio+3 s, beam 5, fallback", {**_AUDIO, "extra_s": 3, "fallback_tokens_per_s": 6}),
    Candidate("audio+3 s, beam 1, fallback", {**_AUDIO, "extra_s": 3, "fallback_tokens_per_s": 6, "beam_size": 1}),
)

CANDIDATE_SETS = {"defaults": DEFAULT_CANDIDATES, "window": WINDOW_CANDIDATES}


@dataclass
class SweepResult:
    """A candidate's run, or why the handler refused it."""

    candidate: Candidate
    run: Run | None
    wer: float | None
    refused: str | None = None

    def as_dict(self) -> dict:
        out = {"name": self.candidate.name, "parameters": self.candidate.parameters, "env": self.candidate.env}
        if self.run is None:
            return {**out, "refused": self.refused}
        finals = [c.seconds for c in self.run.calls if c.request.final]
        return {
            **out,
            "p50_ms": 1000 * self.run.percentile(50),
            "p95_ms": 1000 * self.run.percentile(95),
            "p50_final_ms": 1000 * percentile(finals, 50),
            "wer": self.wer,
            "failures": self.run.failures,
        }


def sweep(
    model_dir: Path,
    clips: Sequence,
    candidates: Sequence[Candidate] = DEFAULT_CANDIDATES,
    module: str | ModuleType = "inference.handler",
) -> list[SweepResult]:
    """Run every candidate over the LCA workload of ``clips`` through a hook module (ours by default)."""
    hooks = importlib.import_module(module) if isinstance(module, str) else module
    handlers: dict[frozenset, HookHandler] = {}
    workloads, results = {}, {}
    for candidate in candidates:
        key = frozenset(candidate.env.items())
        if key not in handlers:
            with _environment(candidate.env):
                handlers[key] = HookHandler.load(f"ours {dict(key)}", hooks, model_dir)
        handler = handlers[key]
        requests = lca_workload.lca_workload(clips, candidate.request_parameters())
        try:  # a parameter the handler does not offer is reported, not fatal
            timed_call(handler, requests[0])
        except Exception as exc:
            logger.info("%s refused: %s", candidate.name, exc)
            results[candidate.name] = SweepResult(candidate, None, None, f"{type(exc).__name__}: {exc}")
            continue
        workloads[candidate.name] = (handler, requests)
        results[candidate.name] = SweepResult(candidate, Run(candidate.name), None)

    count = len(next(iter(workloads.values()), (None, []))[1])
    for i in range(count):
        for name, (handler, requests) in workloads.items():
            call = timed_call(handler, requests[i])
            results[name].run.calls.append(call)
            results[name].run.wall_seconds += call.seconds
    references = {c.name: c.reference for c in clips}
    for result in results.values():
        if result.run is not None:
            result.wer = result.run.wer(references)
    return [results[c.name] for c in candidates]


@contextlib.contextmanager
def _environment(overrides: dict[str, str]):
    """Set ``overrides`` in ``os.environ`` for the block (handlers read their settings at load)."""
    saved = {k: os.environ.get(k) for k in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def format_sweep(results: Sequence[SweepResult]) -> str:
    """A table: one row per candidate."""
    header = ("candidate", "p50 ms", "p95 ms", "p50 final ms", "WER", "lost")  # "lost": answers LCA drops
    rows = [header]
    for r in results:
        if r.run is None:
            rows.append((r.candidate.name, "refused", "", "", "", r.refused or ""))
            continue
        d = r.as_dict()
        rows.append((
            r.candidate.name, f"{d['p50_ms']:.0f}", f"{d['p95_ms']:.0f}", f"{d['p50_final_ms']:.0f}",
            f"{100 * d['wer']:.1f}%", str(d["failures"]),
        ))
    return format_table(rows)
