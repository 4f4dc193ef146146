"""Child processes the demo starts, each in its own process group, and how they are stopped."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

logger = logging.getLogger(__name__)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:port."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Child:
    """A started process, in a new session so that stopping it stops everything it started.

    Args:
        name: a label for messages.
        argv: the command.
        log: file that receives its stdout and stderr (``stdout_pipe`` keeps stdout readable).
    """

    def __init__(self, name: str, argv: list[str], log: Path, cwd: Path | None = None,
                 env: dict | None = None, stdout_pipe: bool = False) -> None:
        self.name = name
        self.log = log
        self._log_file = open(log, "ab")
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, start_new_session=True,
                                     stdout=subprocess.PIPE if stdout_pipe else self._log_file,
                                     stderr=self._log_file, text=stdout_pipe or None)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, chars: int = 1500) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM the process group, SIGKILL it if it lingers, and reap the process."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                logger.warning("%s ignored SIGTERM; killing it", self.name)
        try:  # anything left in its group (the process itself, or children it started)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self._log_file.close()


def wait_for_ping(url: str, child: Child, timeout: float) -> float:
    """Poll ``url/ping`` until 200; returns the seconds waited.

    Raises:
        RuntimeError: the process exited, or ``timeout`` passed.
    """
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if child.proc.poll() is not None:
            raise RuntimeError(f"{child.name} exited with status {child.proc.returncode}; its log ends:\n"
                               f"{child.log_tail()}")
        try:
            with urllib.request.urlopen(f"{url}/ping", timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - began
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{child.name} did not answer {url}/ping within {timeout:.0f} s; its log ends:\n"
                       f"{child.log_tail()}")
