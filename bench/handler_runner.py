"""Drive a SageMaker-hook handler on LCA requests and measure it.

Both handlers (ours in ``inference.handler`` and the baseline in
``bench.original_handler``) expose ``model_fn/input_fn/predict_fn/output_fn``; a request
goes from the raw body bytes to the response bytes through all three request hooks, as
the SageMaker inference toolkit would call them.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import ModuleType

from bench.lca_workload import LcaRequest
from replay.lca_audio import lca_transcript
from replay.report import percentile
from replay.wer import wer

CONTENT_TYPE = "application/json"
# LCA sends no Accept header; the inference toolkits then default to JSON.
ACCEPT = "application/json"


@dataclass
class HookHandler:
    """A handler module plus the model its ``model_fn`` loaded."""

    name: str
    hooks: ModuleType
    model: object

    @classmethod
    def load(cls, name: str, hooks: ModuleType, model_dir: str) -> HookHandler:
        return cls(name, hooks, hooks.model_fn(str(model_dir)))

    def invoke(self, body: bytes) -> bytes:
        """Raw request body -> raw response body."""
        data = self.hooks.input_fn(body, CONTENT_TYPE)
        prediction = self.hooks.predict_fn(data, self.model)
        out = self.hooks.output_fn(prediction, ACCEPT)
        if isinstance(out, tuple):  # the toolkits accept (body, content_type) too
            out = out[0]
        return out.encode() if isinstance(out, str) else bytes(out)


@dataclass
class Call:
    """One timed request and what LCA would make of its answer."""

    request: LcaRequest
    seconds: float
    response: dict

    @property
    def transcript(self) -> str | None:
        """The text LCA keeps, ``None`` when LCA drops the answer (error or no speech)."""
        return lca_transcript(self.response)


@dataclass
class Run:
    """All calls of one handler over one workload, and the wall time they took."""

    handler: str
    calls: list[Call] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def latencies(self) -> list[float]:
        return [c.seconds for c in self.calls]

    def percentile(self, q: float) -> float | None:
        return percentile(self.latencies, q)

    @property
    def throughput(self) -> float:
        """Requests per second of wall time."""
        return len(self.calls) / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def failures(self) -> int:
        """Answers LCA would turn into lost or bogus text."""
        return sum(1 for c in self.calls if c.transcript in (None, "Error with transcription"))

    def final_texts(self) -> dict[str, str]:
        return {c.request.clip: c.transcript or "" for c in self.calls if c.request.final}

    def wer(self, references: dict[str, str]) -> float:
        """Corpus WER of the finals' text (a dropped answer counts as empty)."""
        texts = self.final_texts()
        names = [n for n in references if n in texts]
        if not names:
            raise ValueError(f"{self.handler}: no final answers to score")
        return wer([references[n] for n in names], [texts[n] for n in names])


def timed_call(handler: HookHandler, request: LcaRequest) -> Call:
    """One request through the handler, timed from body bytes to response bytes."""
    start = time.perf_counter()
    body = handler.invoke(request.body)
    seconds = time.perf_counter() - start
    return Call(request, seconds, json.loads(body))


def run_interleaved(handlers: Sequence[HookHandler], requests: Sequence[LcaRequest]) -> list[Run]:
    """One caller: every request goes to each handler in turn.

    Interleaving spreads any background load on a shared machine evenly over the
    handlers, so the comparison stays fair even when the absolute numbers drift.
    """
    runs = [Run(h.name) for h in handlers]
    for request in requests:
        for handler, run in zip(handlers, runs, strict=True):
            call = timed_call(handler, request)
            run.calls.append(call)
            run.wall_seconds += call.seconds
    return runs


def run_concurrent(handler: HookHandler, requests: Sequence[LcaRequest], callers: int) -> Run:
    """``callers`` threads draining the requests as fast as the handler answers."""
    run = Run(handler.name)
    with ThreadPoolExecutor(max_workers=callers) as pool:
        start = time.perf_counter()
        run.calls = list(pool.map(lambda r: timed_call(handler, r), requests))
        run.wall_seconds = time.perf_counter() - start
    return run


def median_seconds(fn: Callable[[], object], repeats: int = 5) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def load_line() -> str:
    """The machine's load average, for the end of a benchmark's output: how busy the run's cores were."""
    return "load average (1, 5, 15 min) at the end: " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def format_table(rows: Sequence[Sequence[str]]) -> str:
    """Plain-text table: first column left-aligned, the others right-aligned, the last one free."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(row[1:-1], widths[1:-1], strict=True)]
        lines.append("  ".join(cells + [row[-1]]).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
