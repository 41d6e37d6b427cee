"""``permit serve all`` starts every service as its own process, answers, and stops on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from permit_cli.demo.processes import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_serve_all_starts_answers_and_stops(tmp_path: Path) -> None:
    issuer, wallet, verifier = free_port(), free_port(), free_port()
    command = [
        sys.executable,
        "-m",
        "permit_cli",
        "serve",
        "all",
        "--config-dir",
        str(tmp_path / "config"),
        "--issuer-port",
        str(issuer),
        "--wallet-port",
        str(wallet),
        "--verifier-port",
        str(verifier),
    ]
    urls = [
        f"http://127.0.0.1:{issuer}/.well-known/jwt-vc-issuer/issuer",
        f"http://127.0.0.1:{wallet}/healthz",
    ]
    log = tmp_path / "serve-all.log"
    with log.open("w") as sink:
        process = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while "all services ready" not in log.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.2)
        assert "all services ready" in log.read_text(), log.read_text()
        if "verifier service not available" not in log.read_text():
            urls.append(f"http://127.0.0.1:{verifier}/healthz")
        assert all(answers(url) for url in urls)
        assert (tmp_path / "config" / "trust-list.jwt").exists()
        assert (tmp_path / "config" / "key-passphrase").stat().st_mode & 0o077 == 0
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(answers(url) for url in urls) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(answers(url) for url in urls)
