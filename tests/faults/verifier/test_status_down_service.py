"""The verifier service with the issuers' status server failing (issue 7 §4, DESIGN §4, §6).

The same matrix as ``permit verify`` (``test_status_down_cli.py``), through ``POST /v1/verify``
with the service's injected clock and ``http_timeout_seconds`` = 1 (the only real wait, for
the hanging server). A failed status check is an answer, not a server error: 200 with
``valid: false``, the reason and ``claims: {}``. The background refresher failing during the
outage keeps the cached list, which serves until its ``ttl``; once the server is back the same
service instance verifies again.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from tests.faults.verifier.status_faults import (
    DROPPED,
    FAULTS,
    HTTP_TIMEOUT_SECONDS,
    OFFLINE_CACHE_CASES,
    Fault,
    StatusFaults,
)
from tests.verifier.service.conftest import CANARIES, Federation, TestClient
from verifier.service.core import VerifierService

PATH = "/sh/status/1"


def verify(client: TestClient, federation: Federation) -> dict[str, Any]:
    """A landlord's check of a fresh presentation at the federation's clock."""
    response = client.post(
        "/v1/verify",
        json={"presentation": federation.present()},
        headers=federation.auth("landlord"),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    if not body["valid"]:
        assert body["claims"] == {}
        for canary in CANARIES:
            assert canary not in response.text
    return body


def service_of(client: TestClient) -> VerifierService:
    service: VerifierService = client.app.state.service  # type: ignore[attr-defined]
    return service


@pytest.mark.parametrize("fault", FAULTS, ids=lambda fault: fault.name)
def test_online_without_a_cached_list_the_fault_decides(
    federation: Federation,
    status_faults: StatusFaults,
    fault: Fault,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    with TestClient(federation.app(http_timeout_seconds=HTTP_TIMEOUT_SECONDS)) as client:
        status_faults.inject(fault, PATH)
        body = verify(client, federation)
        assert (body["valid"], body["reason"]) == (False, fault.reason)
        status_faults.restore()
        federation.publish("sh")
        assert verify(client, federation)["valid"] is True  # no restart needed
    for record in caplog.records:
        for canary in CANARIES:
            assert canary not in record.getMessage()


def test_a_cached_list_outlives_failed_refreshes_until_its_ttl(
    federation: Federation, status_faults: StatusFaults
) -> None:
    federation.publish("sh", ttl=300)
    with TestClient(federation.app(http_timeout_seconds=HTTP_TIMEOUT_SECONDS)) as client:
        assert verify(client, federation)["valid"] is True  # fetched and cached
        status_faults.inject(DROPPED, PATH)  # any fetch is counted, and fails
        attempts = status_faults.proxy.accepted

        federation.clock.advance(280)  # inside the refresh margin (30 s) before the ttl ends
        assert service_of(client).refresh_status() == 0  # the refresh failed ...
        assert status_faults.proxy.accepted == attempts + 1
        federation.clock.advance(19)  # 299 s after the fetch
        assert verify(client, federation)["valid"] is True  # ... and the cache still serves
        assert status_faults.proxy.accepted == attempts + 1

        federation.clock.advance(1)  # the ttl is over: only a fetch could answer
        assert verify(client, federation)["reason"] == "status_unavailable"
        assert status_faults.proxy.accepted == attempts + 2

        status_faults.restore()
        federation.publish("sh")
        assert verify(client, federation)["valid"] is True


@pytest.mark.parametrize(("exp_in", "age", "max_age", "reason"), OFFLINE_CACHE_CASES)
def test_offline_the_cache_serves_within_its_bounds_and_nothing_is_fetched(
    federation: Federation,
    status_faults: StatusFaults,
    tmp_path: Path,
    exp_in: int,
    age: int,
    max_age: int,
    reason: str | None,
) -> None:
    cache = tmp_path / "status-cache"
    federation.publish("sh", exp_in=exp_in)
    with TestClient(federation.app(status_cache_dir=cache)) as online:
        assert verify(online, federation)["valid"] is True  # fills the shared cache
    status_faults.inject(DROPPED, PATH)
    attempts = status_faults.proxy.accepted
    offline = federation.app(status_cache_dir=cache, offline=True, max_offline_age_seconds=max_age)
    with TestClient(offline) as client:
        federation.clock.advance(age)
        assert verify(client, federation)["reason"] == reason
    assert status_faults.proxy.accepted == attempts
