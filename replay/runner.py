"""Several calls at once, each in its own thread, as LCA runs one transcriber per call."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from replay.call_source import Call
from replay.clock import RealClock
from replay.flavours import LAMBDA, Flavour
from replay.transcriber import CallResult, CallTranscriber
from replay.transport import Transport

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplayRun:
    """The calls of one replay and how long it took.

    Attributes:
        results: one per call, in the order the calls were given.
        wall_seconds: from the first call's start to the last call's end.
        speed: the replay speed (call seconds per wall second).
    """

    results: list[CallResult]
    wall_seconds: float
    speed: float


def replay_calls(calls: Sequence[Call], make_transport: Callable[[], Transport], *,
                 flavour: Flavour = LAMBDA, speed: float = 1.0, stagger_s: float = 0.0,
                 sink: Callable[[dict], None] | None = None, interval_s: float = 1.0,
                 timeout_s: float | None = None) -> ReplayRun:
    """Replay ``calls`` simultaneously, call ``i`` starting ``i * stagger_s`` call seconds late.

    Args:
        calls: the calls.
        make_transport: makes one transport per call (its connection).
        flavour: the LCA transcriber reproduced.
        speed: call seconds per wall second.
        stagger_s: start offset between consecutive calls (call seconds), so their
            utterances do not all end at the same instant.
        sink: receives every event of every call (must be thread-safe).
        interval_s: the periodic transcription interval.
        timeout_s: wall seconds after which every call stops at its next chunk (its
            ``CallResult.aborted`` is then True); None waits for the calls to end.

    Raises:
        RuntimeError: a call thread crashed (the first error is re-raised as the cause).
    """
    if not calls:
        raise ValueError("nothing to replay: no calls")
    results: list[CallResult | None] = [None] * len(calls)
    failures: list[BaseException] = []
    stop = threading.Event()

    def run_one(index: int, call: Call) -> None:
        transport = make_transport()
        try:
            if stagger_s and index and stop.wait(index * stagger_s / speed):
                return  # stopped before this call started
            transcriber = CallTranscriber(transport, flavour, RealClock(speed, stop), sink,
                                          call_id=f"{call.name}-{index + 1}", interval_s=interval_s, stop=stop)
            results[index] = transcriber.run(call)
        except BaseException as exc:  # reported by the main thread
            logger.exception("call %d crashed", index + 1)
            failures.append(exc)
            stop.set()
        finally:
            transport.close()

    threads = [threading.Thread(target=run_one, args=(i, c), name=f"call-{i + 1}", daemon=True)
               for i, c in enumerate(calls)]
    started = time.monotonic()
    timer = threading.Timer(timeout_s, stop.set) if timeout_s else None
    if timer:
        timer.daemon = True
        timer.start()
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
        if timer:
            timer.cancel()
    except KeyboardInterrupt:
        stop.set()  # calls stop at their next chunk; give in-flight requests a moment
        for thread in threads:
            thread.join(timeout=5)
        raise
    if failures:
        raise RuntimeError(f"{len(failures)} call(s) crashed: {failures[0]}") from failures[0]
    return ReplayRun([r for r in results if r is not None], time.monotonic() - started, speed)
