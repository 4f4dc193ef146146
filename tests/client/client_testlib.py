"""Constants shared by the client tests and their fixtures."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUCKET = "transcribe-client"
