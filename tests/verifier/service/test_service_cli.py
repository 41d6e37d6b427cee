"""``permit serve verifier`` (``verifier.service_cli``): refuses what cannot work, then serves."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from tests.verifier.service.conftest import Federation
from verifier.service_cli import new_account_key_command, serve_verifier

ROOT = Path(__file__).resolve().parents[3]


def env_for(fed: Federation) -> dict[str, str]:
    return {
        "PERMIT_VERIFIER_ENVIRONMENT": "test",
        "PERMIT_VERIFIER_TRUST_LIST_PATH": str(fed.trust_path),
        "PERMIT_VERIFIER_TRUST_ANCHOR_PATH": str(fed.anchor_path),
        "PERMIT_VERIFIER_ACCOUNTS_PATH": str(fed.accounts_path),
        "PERMIT_VERIFIER_ALLOW_INSECURE_LOOPBACK": "true",
    }


def test_several_workers_need_redis(
    federation: Federation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("PERMIT_VERIFIER_REDIS_URL", raising=False)
    result = CliRunner().invoke(serve_verifier, ["--workers", "2"], env=env_for(federation))
    assert result.exit_code == 2
    assert "needs REDIS_URL" in result.output


def test_unusable_configuration_fails_before_serving(federation: Federation) -> None:
    federation.trust_path.write_text("garbage")
    result = CliRunner().invoke(serve_verifier, [], env=env_for(federation))
    assert result.exit_code == 2
    assert "trust list" in result.output
    missing = CliRunner().invoke(serve_verifier, [], env={"PERMIT_VERIFIER_OPEN_PROFILES": "[]"})
    assert missing.exit_code == 2
    assert "invalid verifier settings" in missing.output


def test_new_account_key() -> None:
    result = CliRunner().invoke(new_account_key_command, [])
    lines = dict(line.split(":", 1) for line in result.output.strip().splitlines())
    assert lines["key"].strip().startswith("pvk_")
    assert len(lines["key_sha256"].strip()) == 64


@pytest.mark.slow
def test_serves_the_api_and_writes_records_to_stdout(federation: Federation) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable,
        "-c",
        "from verifier.service_cli import serve_verifier; serve_verifier()",
        "--port",
        str(port),
        "--no-access-log",
    ]
    env = {**os.environ, **env_for(federation)}
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "the verifier exited"
            assert time.monotonic() < deadline, "the verifier did not start"
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        federation.clock.now = int(time.time())
        reply = httpx.post(
            base + "/v1/verify",
            json={"presentation": federation.present()},
            headers=federation.auth("landlord"),
            timeout=10,
        )
        assert reply.json()["valid"] is True
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=15)
    record = [line for line in out.decode().splitlines() if '"event":"verification"' in line]
    assert len(record) == 1
    assert '"result":"valid"' in record[0]
    assert "王小明" not in out.decode()
