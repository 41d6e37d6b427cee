"""Permit status on the holder page: valid, suspended, revoked, expired, due, unknown."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.clock import FakeClock
from tests.wallet.conftest import Holders, receive
from tests.wallet.fake_issuer import FakeIssuer
from wallet_api.status import due_for_endorsement


@pytest.mark.parametrize(("value", "shown"), [(0, "valid"), (1, "revoked"), (2, "suspended")])
def test_status_from_the_status_list(
    client: TestClient, holders: Holders, fake: FakeIssuer, value: int, shown: str
) -> None:
    holder = holders()
    receive(client, holder, fake)
    fake.set_status(value)
    assert client.get("/v1/permits", headers=holder.headers).json()[0]["status"] == shown


def test_status_is_cached_for_the_ttl(
    client: TestClient, holders: Holders, fake: FakeIssuer, clock: FakeClock
) -> None:
    holder = holders()
    receive(client, holder, fake)
    client.get("/v1/permits", headers=holder.headers)
    fake.set_status(2)
    assert client.get("/v1/permits", headers=holder.headers).json()[0]["status"] == "valid"
    assert fake.status_fetches == 1
    clock.advance(seconds=301)
    holder = holders.login(holder.username)
    assert client.get("/v1/permits", headers=holder.headers).json()[0]["status"] == "suspended"


def test_due_for_endorsement_and_expired(
    client: TestClient, holders: Holders, fake: FakeIssuer, clock: FakeClock
) -> None:
    holder = holders()
    receive(client, holder, fake, endorsed_until="2026-03-20")
    listed = client.get("/v1/permits", headers=holder.headers).json()[0]
    assert listed["due_for_endorsement"] is True
    assert listed["status"] == "valid"
    clock.advance(days=20)
    holder = holders.login(holder.username)
    listed = client.get("/v1/permits", headers=holder.headers).json()[0]
    assert listed["status"] == "expired"
    made = client.post(
        f"/v1/permits/{listed['id']}/presentations",
        json={"profile": "landlord"},
        headers=holder.headers,
    )
    assert made.status_code == 409


def test_unreachable_status_is_unknown(
    client: TestClient, holders: Holders, fake: FakeIssuer
) -> None:
    holder = holders()
    receive(client, holder, fake)
    original = fake.status_token
    fake.status_token = lambda: "not-a-token"  # type: ignore[method-assign]
    assert client.get("/v1/permits", headers=holder.headers).json()[0]["status"] == "unknown"
    fake.status_token = original  # type: ignore[method-assign]


def test_due_for_endorsement_helper() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)  # 2026-03-02 01:00 in China
    assert due_for_endorsement("2026-04-01", now, 30) is True
    assert due_for_endorsement("2026-04-02", now, 30) is False
    assert due_for_endorsement(None, now, 30) is False
    assert due_for_endorsement("not a date", now, 30) is False
