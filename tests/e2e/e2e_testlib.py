"""What the e2e tests share: the repository root (the demo and servers run from it)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
