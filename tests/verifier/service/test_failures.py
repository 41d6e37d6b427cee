"""Failing closed: an unreachable Redis or a full request store is 503, never an accept."""

from __future__ import annotations

import pytest

from tests.verifier.service.conftest import Federation, TestClient
from verifier.service.requests import MemoryRequestStore, RequestRecord
from wire.errors import ServiceUnavailable


def test_an_unreachable_redis_is_503_not_a_silent_accept(federation: Federation) -> None:
    app = federation.app(redis_url="redis://127.0.0.1:1/0")
    with TestClient(app) as client:
        response = client.post(
            "/v1/verify",
            json={"presentation": federation.present()},
            headers=federation.auth("landlord"),
        )
        assert (response.status_code, response.json()["code"]) == (503, "service_unavailable")
        created = client.post("/v1/requests", headers=federation.auth("bank"))
        assert (created.status_code, created.json()["code"]) == (503, "service_unavailable")
        assert "127.0.0.1:1" not in created.text


def _record(n: int, now: int) -> RequestRecord:
    return RequestRecord(f"r{n}", "bank-1", "bank", ("name",), "n" * 43, "s", "u", now, now + 60)


def test_a_full_request_store_refuses_new_requests() -> None:
    store = MemoryRequestStore(max_entries=3)
    for n in range(3):
        store.put(_record(n, 1000), ttl=100)
    with pytest.raises(ServiceUnavailable):
        store.put(_record(3, 1050), ttl=100)
    store.put(_record(4, 1101), ttl=100)  # the first three have gone
    assert store.get("r0") is None
    assert store.get("r4") is not None
