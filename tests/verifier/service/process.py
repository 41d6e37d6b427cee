"""``permit serve verifier`` in a subprocess, for the tests that need the real server: several
uvicorn workers, records on stdout, a browser.

The child is configured for a test :class:`~tests.verifier.service.conftest.Federation`
through ``PERMIT_VERIFIER_*`` variables, and a test gets it only once ``/healthz`` answers.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import httpx

from tests.verifier.service.conftest import Federation

__all__ = ["ROOT", "VerifierProcess", "federation_env", "verifier_process"]

ROOT: Final = Path(__file__).resolve().parents[3]
#: Guard against a child that never starts or never stops; never an assertion about speed.
DEADLINE_SECONDS: Final = 30
STOP_SECONDS: Final = 15


def federation_env(federation: Federation) -> dict[str, str]:
    """The verifier's settings for ``federation``: its trust list, anchor and accounts."""
    return {
        "PERMIT_VERIFIER_ENVIRONMENT": "test",
        "PERMIT_VERIFIER_TRUST_LIST_PATH": str(federation.trust_path),
        "PERMIT_VERIFIER_TRUST_ANCHOR_PATH": str(federation.anchor_path),
        "PERMIT_VERIFIER_ACCOUNTS_PATH": str(federation.accounts_path),
        "PERMIT_VERIFIER_ALLOW_INSECURE_LOOPBACK": "true",
    }


@dataclass
class VerifierProcess:
    """A started verifier; :meth:`stop` ends it and hands back what it wrote to stdout."""

    process: subprocess.Popen[bytes]
    port: int
    _stdout: bytes | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> bytes:
        """SIGTERM (uvicorn shuts down cleanly), SIGKILL if that does not end it in time."""
        if self._stdout is None:
            self.process.terminate()
            try:
                out, _ = self.process.communicate(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                out, _ = self.process.communicate()
            self._stdout = out or b""
        return self._stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_healthy(process: subprocess.Popen[bytes], base_url: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        assert process.poll() is None, "the verifier exited"
        assert time.monotonic() < deadline, "the verifier did not start"
        try:
            if httpx.get(base_url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)


@contextmanager
def verifier_process(
    federation: Federation,
    *args: str,
    env: Mapping[str, str] | None = None,
    stdout: int = subprocess.DEVNULL,
) -> Iterator[VerifierProcess]:
    """``permit serve verifier --port N *args`` for ``federation``, with ``env`` on top of its
    settings; stopped afterwards. ``REDIS_URL`` of the calling environment is not passed on:
    a test that wants Redis names it in ``env``."""
    port = _free_port()
    child_env = {name: value for name, value in os.environ.items() if name != "REDIS_URL"}
    child_env.update(federation_env(federation))
    child_env["PERMIT_VERIFIER_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    child_env.update(env or {})
    command = [
        sys.executable,
        "-c",
        "from verifier.service_cli import serve_verifier; serve_verifier()",
        "--port",
        str(port),
        *args,
    ]
    process = subprocess.Popen(
        command, env=child_env, cwd=ROOT, stdout=stdout, stderr=subprocess.DEVNULL
    )
    verifier = VerifierProcess(process, port)
    try:
        _wait_until_healthy(process, verifier.base_url)
        yield verifier
    finally:
        verifier.stop()
