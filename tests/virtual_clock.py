"""A clock that only moves when told, for deterministic tests of the replay's timing logic
(it satisfies ``replay.clock.Clock``)."""

from __future__ import annotations


class VirtualClock:
    """``wait_until`` jumps forward; a fake transport calls ``advance`` to model request time."""

    speed = 1.0

    def __init__(self) -> None:
        self._now = 0.0

    def now(self) -> float:
        return self._now

    def wait_until(self, call_time: float) -> None:
        self._now = max(self._now, call_time)

    def advance(self, seconds: float) -> None:
        self._now += seconds
