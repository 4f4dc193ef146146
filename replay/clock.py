"""Time for a replayed call: audio arrives in real time (scaled by ``speed``).

Every time in the replay is *call time*: seconds since the call started, on the
clock LCA's transcriber reads (``Date.now()``), where audio recorded at second ``t``
arrives at call time ``t``. With ``speed`` 2, a call second passes in half a wall second.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """The call's clock."""

    speed: float

    def now(self) -> float:
        """Call time (s) now."""
        ...

    def wait_until(self, call_time: float) -> None:
        """Block until call time ``call_time`` (returns at once when already past)."""
        ...


class RealClock:
    """Wall time since ``start()``, times ``speed``.

    Args:
        speed: call seconds per wall second (1 = real time; more replays faster).
        stop: an event that, once set, makes ``wait_until`` return early.
    """

    def __init__(self, speed: float = 1.0, stop: threading.Event | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._t0 = time.monotonic()
        self._stop = stop or threading.Event()

    def start(self) -> None:
        """Make now call time 0."""
        self._t0 = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._t0) * self.speed

    def wait_until(self, call_time: float) -> None:
        delay = (call_time - self.now()) / self.speed
        if delay > 0:
            self._stop.wait(delay)



class VirtualClock:
    """A clock that only moves when told: audio arrives at once and ``wait_until`` jumps forward
    (a call's finals do not depend on request timing); a fake transport calls ``advance`` to
    model request time. For measuring without waiting, and for deterministic tests."""

    speed = 1.0

    def __init__(self) -> None:
        self._now = 0.0

    def now(self) -> float:
        return self._now

    def wait_until(self, call_time: float) -> None:
        self._now = max(self._now, call_time)

    def advance(self, seconds: float) -> None:
        self._now += seconds
