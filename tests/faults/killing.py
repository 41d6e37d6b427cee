"""Running :mod:`tests.faults.issuer_process` and killing it with SIGKILL at its crash point.

The child's stdout is read by a thread into a queue, so waiting for a line has a deadline and
never depends on how the pipe happens to be buffered.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Final

import httpx

REPO: Final = Path(__file__).resolve().parents[2]
#: Guard against a hung child; never an assertion about speed.
CHILD_DEADLINE_SECONDS: Final = 60.0
#: Queued when the child's stdout closes (it never prints an empty line).
_EOF: Final = ""


@dataclass
class IssuerChild:
    """A running issuer process and what it has printed so far."""

    process: subprocess.Popen[str]
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def http(self) -> httpx.Client:
        """A client for the child; generous timeout: a stopped request ends with the kill."""
        return httpx.Client(base_url=self.base_url, timeout=CHILD_DEADLINE_SECONDS)

    def next_line(self) -> str:
        try:
            line = self.lines.get(timeout=CHILD_DEADLINE_SECONDS)
        except queue.Empty:
            raise AssertionError("the issuer process printed nothing in time") from None
        if line == _EOF:
            raise AssertionError(f"the issuer process exited ({self.process.wait()})")
        return line

    def wait_inside(self, point: str) -> None:
        """Block until the child reports it stopped at ``point``."""
        assert self.next_line() == f"inside {point}"
        assert self.process.poll() is None

    def kill_9(self) -> None:
        """SIGKILL, and check it was the kill that ended the process."""
        os.kill(self.process.pid, signal.SIGKILL)
        assert self.process.wait(CHILD_DEADLINE_SECONDS) == -signal.SIGKILL


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line.strip())
    lines.put(_EOF)


@contextmanager
def issuer_process(db_url: str, key_dir: Path, now: datetime, point: str) -> Iterator[IssuerChild]:
    """Start the issuer with crash point ``point``; yields once it listens."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.faults.issuer_process",
            db_url,
            str(key_dir),
            now.isoformat(),
            point,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    child = IssuerChild(process)
    reader = threading.Thread(target=_pump, args=(process.stdout, child.lines), daemon=True)
    reader.start()
    try:
        word, port = child.next_line().split()
        assert word == "listening"
        child.port = int(port)
        yield child
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(CHILD_DEADLINE_SECONDS)
        process.stdout.close()
