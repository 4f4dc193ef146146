"""Running callers against the local runtime: the runtime's process, and AWS's client in its own
environment (``scripts/setup.sh`` makes ``<cache>/clients-venv`` from ``requirements/clients.lock``).

The launcher's side of ``python -m local_runtime`` and ``local_runtime.aws_caller``: the
demo and the tests start both through here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from builder.cache import cache_root

REPO = Path(__file__).resolve().parent.parent


def clients_python() -> Path:
    """The callers' environment's Python.

    Raises:
        FileNotFoundError: setup has not made it.
    """
    python = cache_root() / "clients-venv" / "bin" / "python"
    if not python.is_file():
        raise FileNotFoundError(f"no callers' environment at {python.parent.parent}: run scripts/setup.sh demo")
    return python


def runtime_command(endpoints: dict[str, str], cert_dir: Path, port: int = 0) -> list[str]:
    """``python -m local_runtime`` serving ``endpoints`` (name -> container URL)."""
    argv = [sys.executable, "-m", "local_runtime", "--cert-dir", str(cert_dir), "--port", str(port)]
    for name, url in endpoints.items():
        argv += ["--endpoint", f"{name}={url}"]
    return argv


@dataclass(frozen=True)
class Runtime:
    """A started runtime: the URL its callers use and the certificate they trust."""

    url: str
    cert: Path

    @classmethod
    def from_ready_line(cls, line: str) -> Runtime:
        """Parse ``ready URL CERT`` (what ``python -m local_runtime`` prints once it listens).

        Raises:
            RuntimeError: the line is something else.
        """
        parts = line.split()
        if len(parts) != 3 or parts[0] != "ready":
            raise RuntimeError(f"python -m local_runtime did not print 'ready URL CERT' (got {line!r})")
        return cls(parts[1], Path(parts[2]))


def caller_command(runtime: Runtime, endpoint_name: str, *, audio: Path | None = None, path: str | None = None,
                   query: str | None = None, texts: Sequence[str] = (), extra: Sequence[str] = ()) -> list[str]:
    """AWS's client streaming to ``endpoint_name`` through ``runtime`` (see ``aws_caller``)."""
    argv = [str(clients_python()), "-m", "local_runtime.aws_caller", "--endpoint-uri", runtime.url,
            "--ca-file", str(runtime.cert), "--endpoint-name", endpoint_name]
    for flag, value in (("--audio", audio), ("--path", path), ("--query", query)):
        if value is not None:
            argv += [flag, str(value)]
    for text in texts:
        argv += ["--text", text]
    return argv + list(extra)


def caller_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` for the caller: fake credentials, and this checkout on the path (for ``aws_caller``)."""
    return dict(env, PYTHONPATH=str(REPO), AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")


def events(lines: Iterator[str]) -> Iterator[dict]:
    """The caller's JSON lines, as they come."""
    for line in lines:
        if line.strip():
            yield json.loads(line)


def run_caller(argv: list[str], env: dict[str, str], timeout: float) -> tuple[int, list[dict], str]:
    """Run a caller to its end: (exit status, its events, its stderr)."""
    done = subprocess.run(argv, env=caller_env(env), capture_output=True, text=True, timeout=timeout, cwd=REPO)
    return done.returncode, list(events(iter(done.stdout.splitlines()))), done.stderr
