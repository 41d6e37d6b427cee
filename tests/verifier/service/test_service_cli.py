"""``permit serve verifier`` (``verifier.service_cli``): refuses what cannot work, then serves."""

from __future__ import annotations

import subprocess
import time

import httpx
import pytest
from click.testing import CliRunner

from tests.verifier.service.conftest import Federation
from tests.verifier.service.process import federation_env, verifier_process
from verifier.service_cli import new_account_key_command, serve_verifier


def test_several_workers_need_redis(
    federation: Federation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("PERMIT_VERIFIER_REDIS_URL", raising=False)
    result = CliRunner().invoke(serve_verifier, ["--workers", "2"], env=federation_env(federation))
    assert result.exit_code == 2
    assert "needs REDIS_URL" in result.output


def test_unusable_configuration_fails_before_serving(federation: Federation) -> None:
    federation.trust_path.write_text("garbage")
    result = CliRunner().invoke(serve_verifier, [], env=federation_env(federation))
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
    with verifier_process(federation, "--no-access-log", stdout=subprocess.PIPE) as verifier:
        federation.clock.now = int(time.time())
        reply = httpx.post(
            verifier.base_url + "/v1/verify",
            json={"presentation": federation.present()},
            headers=federation.auth("landlord"),
            timeout=10,
        )
        assert reply.json()["valid"] is True
        out = verifier.stop()
    record = [line for line in out.decode().splitlines() if '"event":"verification"' in line]
    assert len(record) == 1
    assert '"result":"valid"' in record[0]
    assert "王小明" not in out.decode()
