"""Helpers for the streaming tests: a raw WebSocket session that collects every message."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from dataclasses import dataclass, field

import websockets


@dataclass
class Session:
    """What one WebSocket session received, and how it closed."""

    messages: list[dict] = field(default_factory=list)
    close_code: int | None = None
    close_reason: str = ""

    def of(self, kind: str) -> list[dict]:
        return [m for m in self.messages if m.get("type") == kind]

    def finals(self, channel: int | None = None) -> list[dict]:
        return [m for m in self.of("Results") if m["is_final"]
                and (channel is None or m["channel_index"][0] == channel)]

    def text(self, channel: int | None = None) -> str:
        return " ".join(m["channel"]["alternatives"][0]["transcript"] for m in self.finals(channel)).strip()


def ws_url(http_url: str, query: dict | None = None, path: str = "/v1/listen") -> str:
    base = http_url.replace("http://", "ws://", 1) + path
    return f"{base}?{urllib.parse.urlencode(query)}" if query else base


async def run_session(url: str, frames: list[bytes | str] = (), pace_s: float = 0.0,
                      wait_close_s: float = 60.0) -> Session:
    """Send ``frames`` (bytes: audio, str: text) ``pace_s`` apart, then read until the server closes."""
    session = Session()
    async with websockets.connect(url, max_size=None) as ws:
        async def receive() -> None:
            try:
                async for raw in ws:
                    session.messages.append(json.loads(raw))
            except websockets.ConnectionClosed:
                pass

        reader = asyncio.ensure_future(receive())
        try:
            for frame in frames:
                await ws.send(frame)
                if pace_s:
                    await asyncio.sleep(pace_s)
        except websockets.ConnectionClosed:
            pass  # the server closed first: its code and reason say why
        await asyncio.wait_for(reader, wait_close_s)
        session.close_code, session.close_reason = ws.close_code, ws.close_reason or ""
    return session


def pcm_frames(pcm: bytes, frame_bytes: int) -> list[bytes]:
    return [pcm[i:i + frame_bytes] for i in range(0, len(pcm), frame_bytes)]


def heard(text: str, reference: str) -> int:
    """How many of ``reference``'s words ``text`` has (a property, not one CPU's exact decode)."""
    from replay.phantoms import words

    return len(set(words(text)) & set(words(reference)))


# what the first 4-5 s of the JFK clip say
JFK_START = "and so my fellow americans ask not"
CLOSE = json.dumps({"type": "CloseStream"})
FINALIZE = json.dumps({"type": "Finalize"})
KEEPALIVE = json.dumps({"type": "KeepAlive"})
