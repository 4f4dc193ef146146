"""LCA's stack contract as ``docs/lca-contract.md`` states it, read from its tables: the one
oracle the tests check the builder and the Terraform module against (so the document, the
HCL and the builder cannot drift apart unnoticed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "lca-contract.md"


@dataclass(frozen=True)
class Parameter:
    """One parameter of LCA's nested stack.

    Attributes:
        default: as CloudFormation shows it (a string; ``""`` for empty).
        choices: the allowed values, in LCA's order (``None`` when a range or free text).
        bounds: inclusive (min, max) for a number (``None`` otherwise).
    """

    name: str
    default: str
    choices: tuple[str, ...] | None
    bounds: tuple[int, int] | None


def _section(title_prefix: str) -> str:
    text = DOC.read_text()
    start = text.index(f"\n## {title_prefix}")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def _unquote(cell: str) -> str:
    return cell.strip().strip("`").strip('"')


def _parameter(name: str, default: str, allowed: str) -> Parameter:
    bounds = re.fullmatch(r"(\d+)-(\d+)", allowed.strip())
    if bounds:
        return Parameter(name, _unquote(default), None, (int(bounds[1]), int(bounds[2])))
    if allowed.strip().startswith("empty"):
        return Parameter(name, _unquote(default), None, None)
    return Parameter(name, _unquote(default), tuple(_unquote(c) for c in allowed.split(",")), None)


def parameters() -> dict[str, Parameter]:
    """The 11 parameters in the document's order."""
    rows = re.findall(r"^\| `(\w+)` \| ([^|]*) \| ([^|]*) \|$", _section("4."), re.M)
    return {name: _parameter(name, default, allowed) for name, default, allowed in rows}


def outputs() -> list[str]:
    """The 9 outputs in the document's order."""
    section = _section("4.")
    listing = section[section.index("Its outputs:"):section.index("\n\n", section.index("Its outputs:"))]
    return re.findall(r"`(\w+)`", listing)


def model_sizes() -> list[str]:
    """``WhisperModelSize``'s allowed values, in LCA's order."""
    return list(parameters()["WhisperModelSize"].choices or ())
