"""Run the app under uvicorn with the connection-level bounds uvicorn lacks.

uvicorn closes a keep-alive connection that stays idle after a response, but not one
that never completes its first request line and headers: a client can open connections
and send nothing. :class:`_IdleTimeoutH11` closes any connection whose next request has
not started within ``idle_timeout_s``. On SIGTERM uvicorn stops accepting and lets
admitted requests finish for ``shutdown_grace_s``, then cancels them; the app's shutdown
cancels their transcriptions, so the process exits instead of decoding for nobody.

uvicorn closes WebSockets at once on SIGTERM (1012). :class:`_Server` first gives every
streaming session, within the same grace, its finals and a 1001 close, so a caller never
loses what it already said. WebSockets are served by wsproto (pure Python, on h11).
"""

from __future__ import annotations

import asyncio
from types import FrameType

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
        if self.transport.get_protocol() is not self:
            return  # upgraded to a WebSocket, whose session keeps its own idle timeout
        if self.cycle is cycle and not self.transport.is_closing():
            self.transport.close()  # no new request began: nothing to answer


class _Server(uvicorn.Server):
    """uvicorn's server, whose first stop signal closes the streaming sessions with their finals."""

    def __init__(self, config: uvicorn.Config, app: Starlette, grace_s: float) -> None:
        super().__init__(config)
        self._streams = app.state.streams
        self._grace_s = grace_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._draining = False

    async def serve(self, sockets=None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._draining or self._loop is None or not self._streams.sessions:
            super().handle_exit(sig, frame)
            return
        self._draining = True  # a second signal stops at once
        self._loop.call_soon_threadsafe(lambda: self._loop.create_task(self._drain(sig, frame)))

    async def _drain(self, sig: int, frame: FrameType | None) -> None:
        try:
            await asyncio.wait_for(self._streams.close_all(), self._grace_s)
        except asyncio.TimeoutError:
            pass
        super().handle_exit(sig, frame)


def serve(app: Starlette, host: str, port: int, config: ServingConfig) -> None:
    """Serve until SIGINT/SIGTERM; returns after the graceful shutdown."""
    protocol = type("IdleTimeoutH11", (_IdleTimeoutH11,), {"idle_timeout_s": config.idle_timeout_s})
    settings = uvicorn.Config(app, host=host, port=port, log_level="info", access_log=False, http=protocol,
                              ws="wsproto", timeout_keep_alive=max(1, round(config.idle_timeout_s)),
                              timeout_graceful_shutdown=max(1, round(config.shutdown_grace_s)))
    _Server(settings, app, config.shutdown_grace_s).run()
