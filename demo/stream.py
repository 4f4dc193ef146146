"""The demo's streaming step: the replayed call again, through SageMaker's runtime (local) with
AWS's own client, and the comparison of the two transports.

``python -m local_runtime`` stands where ``runtime.sagemaker.<region>.amazonaws.com:8443``
would, in front of the endpoint started from the artifact; ``local_runtime.aws_caller``
runs in the callers' environment (AWS's ``aws-sdk-sagemaker-runtime-http2``) and streams
the call's WAV at its own pace with Deepgram's query under ``ModelInvocationPath=v1/listen``.
Its results are printed as they arrive and scored as the request replay is
(``replay.stream.score``).
"""

from __future__ import annotations

import select
import subprocess
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from demo.processes import Child
from local_runtime.callers import Runtime, caller_command, caller_env, events, runtime_command
from replay.call_source import Call
from replay.phantoms import words
from replay.report import ReplaySummary
from replay.runner import ReplayRun
from replay.stream import QUERY, StreamResult, StreamScore, received, score

INVOCATION_PATH = "v1/listen"


@dataclass
class StreamFigures:
    """The streamed call's figures beside the request replay's (``DemoResult.stream``)."""

    runtime_url: str
    latency_p50_s: float | None
    latency_p95_s: float | None
    final_words: int
    wer: float | None
    interims: int
    finals: int
    lost_turns: int
    close: str  # the ModelStreamError that ended the stream: "code: reason"


def start_runtime(start: Callable[..., Child], endpoint_name: str, container_url: str, work: Path) -> Runtime:
    """``python -m local_runtime`` serving ``endpoint_name`` in front of ``container_url``."""
    child = start("runtime", runtime_command({endpoint_name: container_url}, work / "tls"), stdout_pipe=True)
    ready, _, _ = select.select([child.proc.stdout], [], [], 60)
    line = child.proc.stdout.readline().strip() if ready else ""
    try:
        return Runtime.from_ready_line(line)
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}; log: {child.log_tail()}") from exc


def stream_call(runtime: Runtime, endpoint_name: str, call: Call, wav: Path, env: dict[str, str],
                say: Callable[[str], None], log: Path) -> tuple[StreamResult, str]:
    """Stream ``wav`` (``call``'s audio) with AWS's client, printing each result as it arrives;
    returns what arrived and the closing ModelStreamError ("code: reason").

    Raises:
        RuntimeError: the caller failed, or its stream ended without the container's close.
    """
    argv = caller_command(runtime, endpoint_name, audio=wav, path=INVOCATION_PATH,
                          query=urllib.parse.urlencode(QUERY))
    result, close = StreamResult(call), None
    with log.open("w") as stderr:
        proc = subprocess.Popen(argv, env=caller_env(env), stdout=subprocess.PIPE, stderr=stderr, text=True)
        try:
            for event in events(proc.stdout):
                if event.get("part") == "UTF8":
                    before = len(result.messages)
                    received(result, event["text"], event["arrived_s"])
                    if len(result.messages) > before:  # a Results message (not SpeechStarted & co.)
                        say(_line(result.messages[-1]))
                elif event.get("error"):
                    close = f"{event.get('code')}: {event.get('message')}"
            status = proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
    if status != 0 or close is None:
        tail = log.read_text(errors="replace")[-1500:]
        raise RuntimeError(f"local_runtime.aws_caller exited {status} (closing error {close}); its log ends:\n{tail}")
    return result, close


def figures(runtime: Runtime, result: StreamResult, close: str) -> StreamFigures:
    scored: StreamScore = score(result)
    finals = [m for m in result.messages if m.is_final]
    return StreamFigures(runtime.url, scored.p50_s, scored.p95_s, sum(len(words(m.transcript)) for m in finals),
                         scored.wer, len(result.messages) - len(finals), len(finals), scored.lost_turns, close)


def comparison(replayed: ReplayRun, summary: ReplaySummary, streamed: StreamFigures) -> str:
    """The two transports side by side, on the same call."""
    lca_words = sum(len(words(f.text)) for r in replayed.results for f in r.finals)
    rows = [("final latency p50", _s(summary.latency_p50_s), _s(streamed.latency_p50_s)),
            ("final latency p95", _s(summary.latency_p95_s), _s(streamed.latency_p95_s)),
            ("words in finals", str(lca_words), str(streamed.final_words)),
            ("WER of the finals", _pct(summary.wer), _pct(streamed.wer))]
    lines = [f"{'':<20} {'LCA requests':>14} {'bidirectional stream':>22}"]
    lines += [f"{name:<20} {lca:>14} {stream:>22}" for name, lca, stream in rows]
    return "\n".join(lines)


def _line(message) -> str:
    kind = "FINAL  " if message.is_final else "interim"
    return f"      [{message.arrived_s:6.2f}s] ch{message.channel}    {kind} {message.transcript}"


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"
