"""The wallet as a fuzz target: the fixtures of ``tests/wallet`` plus a holder and records.

The app is the one ``tests/wallet`` builds (migrated database per backend, fake clock, the
in-process fake issuer as its only outside world, so no request leaves the process). A holder
is logged in, holds two permits received over OpenID4VCI (one kept for ``DELETE`` only, so the
other stays reachable for presentations and paper) and has given a helper grant. Logout gets
a session of its own: it would end the one every other operation uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.api_fuzz.documents import Operation
from tests.api_fuzz.harness import FuzzTarget
from tests.wallet.conftest import (
    Holders,
    client,
    clock,
    db_url,
    engine,
    fake,
    holders,
    outside,
    postgres_schema_url,
    postgres_unreachable,
    receive,
    settings,
    sqlite_template,
)
from tests.wallet.fake_issuer import FakeIssuer

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

__all__ = [
    "client",
    "clock",
    "db_url",
    "engine",
    "fake",
    "holders",
    "outside",
    "postgres_schema_url",
    "postgres_unreachable",
    "settings",
    "sqlite_template",
    "wallet_target",
]


@pytest.fixture
def wallet_target(
    client: TestClient, holders: Holders, fake: FakeIssuer, db_url: str
) -> FuzzTarget:
    holder = holders("holder")
    helper = holders("helper")
    permit = receive(client, holder, fake)
    # Another permit number: one with the same number would replace the first (a renewal).
    deletable = receive(client, holder, fake, permit_no="310104202600000002")
    assert deletable != permit
    response = client.post(
        "/v1/grants",
        json={"helper_username": helper.username, "permit_id": permit},
        headers=holder.headers,
    )
    assert response.status_code == 201, response.text
    grant = response.json()["id"]
    profiles = tuple(p["name"] for p in client.get("/v1/profiles").json())
    logout_session = holders.login(holder.username)

    def credentials_for(operation: Operation) -> list[dict[str, str]]:
        if not operation.definition.raw.get("security"):
            return [{}]
        if operation.path == "/v1/auth/logout":
            return [logout_session.headers]
        return [holder.headers]

    def known_values_for(operation: Operation) -> dict[str, tuple[str, ...]]:
        if operation.method.upper() == "DELETE" and operation.path == "/v1/permits/{permit_id}":
            return {"permit_id": (deletable,)}
        return {"permit_id": (permit,), "profile": profiles, "grant_id": (grant,)}

    backend = db_url.split(":", 1)[0].split("+", 1)[0]
    return FuzzTarget.serving(
        f"wallet/{backend}",
        client,
        credentials_for=credentials_for,
        known_values_for=known_values_for,
        idempotent_with_any_token=frozenset({"POST /v1/auth/logout"}),
        # DELETE /v1/grants/received is routed to DELETE /v1/grants/{grant_id} (the literal path
        # has no DELETE, the template matches), which refuses the id "received" with 422, not
        # the 405 an undeclared method on the literal path would get.
        tolerated=frozenset({("GET /v1/grants/received", "unsupported_method")}),
        # Deleting permits and grants and ending the session change which links exist: the
        # long run's sequences stopped after ~150 requests (FlakyStrategyDefinition) with them.
        unlinked=frozenset(
            {
                "DELETE /v1/permits/{permit_id}",
                "DELETE /v1/grants/{grant_id}",
                "POST /v1/auth/logout",
            }
        ),
    )
