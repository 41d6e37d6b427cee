"""Services as child processes on loopback: a free port, start with a log, wait, stop.

The demo (:mod:`permit_cli.demo.stack`) runs every service this way, and the end-to-end tests
start theirs with the same functions, so both see a service that exits early or never answers
the same way. Each process is stopped by its own handle, never by name.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

__all__ = ["clean_env", "free_port", "service_process", "wait_ready"]


def free_port() -> int:
    """A loopback port free right now (the service binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env() -> dict[str, str]:
    """The caller's environment without settings a service would pick up over the ones it is
    given (``REDIS_URL`` would move the verifier's replay cache off the embedded defaults)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERMIT_")}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return env


@contextmanager
def service_process(
    argv: list[str], env: dict[str, str], log: Path, *, cwd: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` with its output in ``log`` until the block ends; then terminate it (kill
    after 10 s)."""
    with log.open("wb") as sink:
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def wait_ready(url: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    """Return once ``url`` answers 200; :class:`RuntimeError` when the process exits first or
    ``deadline`` (``time.monotonic()``) passes."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"service exited early ({process.returncode}): {url}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"service did not start in time: {url}")
