"""Run the app under uvicorn with the connection-level bounds uvicorn lacks.

uvicorn closes a keep-alive connection that stays idle after a response, but not one
that never completes its first request line and headers: a client can open connections
and send nothing. :class:`_IdleTimeoutH11` closes any connection whose next request has
not started within ``idle_timeout_s``. On SIGTERM uvicorn stops accepting and lets
admitted requests finish for ``shutdown_grace_s``, then cancels them; the app's shutdown
cancels their transcriptions, so the process exits instead of decoding for nobody.
"""

from __future__ import annotations

import asyncio

import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.h11_impl import H11Protocol

from .config import ServingConfig


class _IdleTimeoutH11(H11Protocol):
    """uvicorn's h11 protocol, plus a deadline for each request's head to arrive."""

    idle_timeout_s = 5.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_idle_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_idle_timer()

    def _arm_idle_timer(self) -> None:
        cycle = self.cycle  # the request this timer waits to be followed by a new one
        self.loop.call_later(self.idle_timeout_s, self._close_if_idle, cycle)

    def _close_if_idle(self, cycle) -> None:
        if self.cycle is cycle and not self.transport.is_closing():
            self.transport.close()  # no new request began: nothing to answer


def serve(app: Starlette, host: str, port: int, config: ServingConfig) -> None:
    """Serve until SIGINT/SIGTERM; returns after the graceful shutdown."""
    protocol = type("IdleTimeoutH11", (_IdleTimeoutH11,), {"idle_timeout_s": config.idle_timeout_s})
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False, http=protocol,
                timeout_keep_alive=max(1, round(config.idle_timeout_s)),
                timeout_graceful_shutdown=max(1, round(config.shutdown_grace_s)))
