"""Imports point down: ``inference`` and ``builder`` are the core, ``replay``, ``demo``,
``client`` and ``local_runtime`` use them, ``bench`` uses everything, and nothing imports ``bench``.
The one exception is ``inference.command_line`` (standard library only), which the builder reads
for ``--version``.

Every ``import`` statement of the project's Python files is parsed (top-level and inside
functions alike), so a lazy import cannot hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# package -> the project packages it may import (besides itself)
ALLOWED = {
    "inference": set(),  # runs alone in the container: no other project package
    "builder": set(),
    "replay": {"builder", "inference"},
    "demo": {"builder", "inference", "replay", "local_runtime"},
    "client": {"inference"},  # a user's application: the endpoint's constants at most
    "serving_image": set(),  # the image around the artifact: it never imports the code it serves
    # SageMaker's runtime stands between callers and the container: it knows neither side's code
    "local_runtime": {"builder"},
    "bench": {"builder", "inference", "replay", "demo", "client", "local_runtime"},
    "scripts": {"builder", "inference", "replay"},
}
PROJECT = set(ALLOWED) - {"scripts"}
# Single modules a package may import although their package is out of bounds for it.
ALLOWED_MODULES = {"builder": {"inference.command_line"}}


def imported_modules(path: Path) -> set[tuple[int, str]]:
    """(line, dotted project module) for every absolute import in ``path``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {(node.lineno, n) for n in names if n.split(".")[0] in PROJECT}
    return found


def imported_packages(path: Path) -> set[tuple[int, str]]:
    """(line, top-level project package) for every absolute import in ``path``."""
    return {(line, module.split(".")[0]) for line, module in imported_modules(path)}


def violations(package: str) -> list[str]:
    bad = []
    for path in sorted((REPO / package).rglob("*.py")):
        for line, module in sorted(imported_modules(path)):
            target = module.split(".")[0]
            if target != package and target not in ALLOWED[package] \
                    and module not in ALLOWED_MODULES.get(package, set()):
                bad.append(f"{path.relative_to(REPO)}:{line} imports {module}")
    return bad


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_down(package):
    assert violations(package) == []


def test_the_checker_sees_lazy_imports(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef f():\n    from bench.wer import wer\n    import replay.clips\n")
    assert imported_packages(module) == {(4, "bench"), (5, "replay")}
