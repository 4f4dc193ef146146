"""The repository stands alone: nothing in it points at documents or trackers a clone lacks.

Contracts a reader needs live in ``docs/`` (e.g. ``docs/lca-contract.md``); no file may cite
the planning notes outside the repository or an issue by number.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Spelled in pieces so that this file does not match itself.
FORBIDDEN = re.compile("|".join([re.escape("../" + "shared"), re.escape("DESIGN" + ".md"), r"\bissues?\s*#?\d+"]),
                       re.IGNORECASE)


def tracked_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    paths = [REPO / n for n in names.decode().split("\0") if n]
    return [p for p in paths if p.is_file() and b"\0" not in p.read_bytes()[:8192]]


def offending_lines(path: Path, root: Path = REPO) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return [f"{path.relative_to(root)}:{n}: {line.strip()}"
            for n, line in enumerate(text.splitlines(), 1) if FORBIDDEN.search(line)]


def test_no_file_cites_outside_notes_or_issue_numbers():
    assert [line for path in tracked_text_files() for line in offending_lines(path)] == []


def test_the_pattern_catches_what_it_should(tmp_path):
    sample = tmp_path / "sample.md"
    bad = ["see ../" "shared/x", "per DESIGN" ".md", "fixes Iss" "ue #12", "as iss" "ue 2 says"]
    sample.write_text("\n".join(["ok", *bad, "issues/12 link", "an issue with 2 parts"]) + "\n")
    assert [line.split(": ", 1)[1] for line in offending_lines(sample, tmp_path)] == bad


def test_the_lca_contract_is_in_the_repository():
    text = (REPO / "docs" / "lca-contract.md").read_text()
    for fact in ("audio_input", "no_speech_prob", "WhisperSageMakerEndpointName", "AutoScalingScaleInCooldown"):
        assert fact in text
