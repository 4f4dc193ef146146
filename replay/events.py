"""The records LCA's call transcriber writes to Kinesis, as JSON lines.

Shapes from ``lca-chimevc-stack/.../call_transcriber/lca.js``:
``writeCallStartEventToKds``, ``writeTranscriptionSegmentToKds`` (whose ``StartTime`` and
``EndTime`` are the JavaScript number's ``toString()``) and ``writeCallEndEventToKds``.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from typing import TextIO

from replay.call_source import CHANNELS

ADD_TRANSCRIPT_SEGMENT = "ADD_TRANSCRIPT_SEGMENT"
SEGMENT_KEYS = ("Channel", "CallId", "SegmentId", "StartTime", "EndTime", "Transcript", "IsPartial",
                "EventType", "CreatedAt")


def js_number(value: float) -> str:
    """``Number.prototype.toString()`` for the times LCA writes: ``1.5`` -> "1.5", ``2.0`` -> "2"."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _now_iso() -> str:
    # JavaScript's toISOString(): millisecond precision, "Z".
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def call_start_event(call_id: str) -> dict:
    """LCA's START record (phone numbers and agent are not known to a replay)."""
    return {"CallId": call_id, "CreatedAt": _now_iso(), "CustomerPhoneNumber": "", "SystemPhoneNumber": "",
            "AgentId": "", "EventType": "START"}


def segment_event(call_id: str, channel: int, segment_id: str, start_time: float, end_time: float,
                  transcript: str, is_partial: bool) -> dict:
    """An ``ADD_TRANSCRIPT_SEGMENT`` record; ``channel`` 0 is ``ch_0`` (CALLER), 1 is AGENT."""
    return {
        "Channel": CHANNELS[0] if channel == 0 else CHANNELS[1],
        "CallId": call_id,
        "SegmentId": segment_id,
        "StartTime": js_number(start_time),
        "EndTime": js_number(end_time),
        "Transcript": transcript,
        "IsPartial": is_partial,
        "EventType": ADD_TRANSCRIPT_SEGMENT,
        "CreatedAt": _now_iso(),
    }


def call_end_event(call_id: str) -> dict:
    """LCA's END record."""
    return {"CallId": call_id, "EventType": "END"}


class JsonLinesSink:
    """Writes events from many call threads to one stream, one JSON object per line."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def __call__(self, event: dict) -> None:
        line = json.dumps(event, separators=(",", ":"))
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()
