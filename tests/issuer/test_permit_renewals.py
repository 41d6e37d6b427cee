"""Renewal (annual endorsement 签注) and change of data, followed through to the holder.

The new credential verifies; the one it replaced keeps verifying during the grace period and
reads INVALID once the refresher ran after it (the injected clock decides when). Illegal
moves are 409 and change nothing; bad input is 422 naming the field.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from issuer.models import AuditEvent, Credential
from tests.clock import FakeClock
from tests.issuer.conftest import OfficerFactory, Sessions
from tests.issuer.helpers import assert_problem
from tests.issuer.permit_helpers import publisher_of, snapshot
from tests.issuer.wallet import (
    Issued,
    holder_key,
    obtain,
    served_status,
    status_ref,
    verify,
)

NEW_ADDRESS = {"region_code": "310105", "district": "长宁区", "street": "愚园路1号"}


class TestRenewal:
    def test_renew_issues_a_new_credential_and_retires_the_old_after_grace(
        self,
        client: TestClient,
        issued: Issued,
        sessions: Sessions,
        make_officer: OfficerFactory,
        clock: FakeClock,
        engine: Engine,
    ) -> None:
        clock.advance(days=320)  # 2027-01-16: within 60 days of 2027-03-02
        clerk = sessions.headers(make_officer("clerk"))
        response = client.post(
            f"/v1/permits/{issued.permit_id}/renew",
            json={"reason": "annual endorsement"},
            headers=clerk,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["permit"]["endorsed_until"] == "2028-03-02"
        assert body["offer"]["purpose"] == "renew"
        assert body["offer"]["tx_code"]

        key = holder_key("EdDSA")
        [fresh] = obtain(client, body["offer"], [key], clock)
        assert status_ref(fresh) != issued.status_ref
        new = verify(client, fresh, key, clock)
        assert new.valid
        assert new.claims["endorsed_until"] == "2028-03-02"
        assert (
            new.claims["permit_no"]
            == verify(client, issued.credentials[0], issued.keys[0], clock).claims["permit_no"]
        )

        publisher = publisher_of(client)
        clock.advance(days=6, hours=23)
        assert publisher.refresh().retired == 0
        assert verify(client, issued.credentials[0], issued.keys[0], clock).valid  # in grace
        clock.advance(hours=1, seconds=1)
        assert publisher.refresh().retired == 1
        old = verify(client, issued.credentials[0], issued.keys[0], clock)
        assert (old.valid, old.reason) == (False, "revoked")
        uri, idx = issued.status_ref
        assert served_status(client, uri, idx, int(clock().timestamp())) == 1
        assert verify(client, fresh, key, clock).valid
        assert publisher.refresh().retired == 0  # idempotent
        with Session(engine) as session:
            retired = session.exec(
                select(Credential).where(col(Credential.retired_at).is_not(None))
            ).one()
            assert retired.status_idx == idx
            events = [e.action for e in session.exec(select(AuditEvent))]
        assert "permit.renew" in events
        assert events[-1] == "credential.retire"

    def test_a_suspension_during_grace_covers_the_old_copy_too(
        self,
        client: TestClient,
        issued: Issued,
        sessions: Sessions,
        make_officer: OfficerFactory,
        clock: FakeClock,
    ) -> None:
        clock.advance(days=320)
        clerk = sessions.headers(make_officer("clerk"))
        offer = client.post(
            f"/v1/permits/{issued.permit_id}/renew", json={"reason": "endorsement"}, headers=clerk
        ).json()["offer"]
        key = holder_key()
        [fresh] = obtain(client, offer, [key], clock)
        supervisor = sessions.headers(make_officer("supervisor"), mfa=True)
        client.post(
            f"/v1/permits/{issued.permit_id}/suspend", json={"reason": "check"}, headers=supervisor
        )
        for credential, holder in ((fresh, key), (issued.credentials[0], issued.keys[0])):
            result = verify(client, credential, holder, clock)
            assert result.reason == "suspended"

    def test_renew_refusals_change_nothing(
        self,
        client: TestClient,
        issued: Issued,
        sessions: Sessions,
        make_officer: OfficerFactory,
        engine: Engine,
        clock: FakeClock,
    ) -> None:
        path = f"/v1/permits/{issued.permit_id}/renew"
        body = {"reason": "annual endorsement"}
        clerk = sessions.headers(make_officer("clerk"))
        before = snapshot(engine, issued.permit_id)
        assert_problem(client.post(path, json=body, headers=clerk), 409, "conflict")  # not due
        assert_problem(client.post(path, json=body), 401, "unauthenticated")
        auditor = sessions.headers(make_officer("auditor"))
        assert_problem(client.post(path, json=body, headers=auditor), 403, "forbidden")
        elsewhere = sessions.headers(make_officer("clerk", "chengdu"))
        assert_problem(client.post(path, json=body, headers=elsewhere), 403, "forbidden")
        assert_problem(
            client.post(path, json={}, headers=clerk), 422, "invalid_input", field="reason"
        )
        assert snapshot(engine, issued.permit_id) == before

        supervisor = sessions.headers(make_officer("supervisor"), mfa=True)
        client.post(f"/v1/permits/{issued.permit_id}/suspend", json=body, headers=supervisor)
        clock.advance(days=320)
        clerk = sessions.headers(make_officer("clerk"))
        before = snapshot(engine, issued.permit_id)
        assert_problem(client.post(path, json=body, headers=clerk), 409, "conflict")
        assert snapshot(engine, issued.permit_id) == before


class TestChange:
    def test_change_of_address(
        self,
        client: TestClient,
        issued: Issued,
        sessions: Sessions,
        make_officer: OfficerFactory,
        clock: FakeClock,
    ) -> None:
        clerk = sessions.headers(make_officer("clerk"))
        response = client.post(
            f"/v1/permits/{issued.permit_id}/change",
            json={"reason": "moved house", "residence_address": NEW_ADDRESS},
            headers=clerk,
        )
        assert response.status_code == 200, response.text
        offer = response.json()["offer"]
        assert offer["purpose"] == "change"
        key = holder_key()
        [fresh] = obtain(client, offer, [key], clock)
        claims = verify(client, fresh, key, clock).claims
        assert claims["residence_address"] == NEW_ADDRESS
        detail = client.get(f"/v1/permits/{issued.permit_id}", headers=clerk).json()
        assert detail["residence_address"] == NEW_ADDRESS
        assert sorted(c["retired_at"] is not None for c in detail["credentials"]) == [False, True]

        assert verify(client, issued.credentials[0], issued.keys[0], clock).valid  # grace
        clock.advance(days=7, seconds=1)
        publisher_of(client).refresh()
        assert verify(client, issued.credentials[0], issued.keys[0], clock).reason == "revoked"
        assert verify(client, fresh, key, clock).valid

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"reason": "moved"}, "residence_address"),
            (
                {"reason": "moved", "residence_address": {**NEW_ADDRESS, "region_code": "510104"}},
                "residence_address.region_code",
            ),
            (
                {"reason": "moved", "residence_address": {**NEW_ADDRESS, "region_code": "31"}},
                "residence_address.region_code",
            ),
            (
                {"reason": "moved", "residence_address": {**NEW_ADDRESS, "district": ""}},
                "residence_address.district",
            ),
            ({"residence_address": NEW_ADDRESS}, "reason"),
        ],
    )
    def test_bad_change_is_422_naming_the_field(
        self,
        client: TestClient,
        issued: Issued,
        sessions: Sessions,
        make_officer: OfficerFactory,
        engine: Engine,
        body: dict[str, Any],
        field: str,
    ) -> None:
        clerk = sessions.headers(make_officer("clerk"))
        before = snapshot(engine, issued.permit_id)
        response = client.post(f"/v1/permits/{issued.permit_id}/change", json=body, headers=clerk)
        assert_problem(response, 422, "invalid_input", field=field)
        assert snapshot(engine, issued.permit_id) == before

    def test_change_refusals(
        self,
        client: TestClient,
        issued: Issued,
        sessions: Sessions,
        make_officer: OfficerFactory,
        engine: Engine,
    ) -> None:
        path = f"/v1/permits/{issued.permit_id}/change"
        body = {"reason": "moved", "residence_address": NEW_ADDRESS}
        assert_problem(client.post(path, json=body), 401, "unauthenticated")
        auditor = sessions.headers(make_officer("auditor"))
        assert_problem(client.post(path, json=body, headers=auditor), 403, "forbidden")
        supervisor = sessions.headers(make_officer("supervisor"), mfa=True)
        client.post(
            f"/v1/permits/{issued.permit_id}/revoke", json={"reason": "left"}, headers=supervisor
        )
        before = snapshot(engine, issued.permit_id)
        clerk = sessions.headers(make_officer("clerk"))
        assert_problem(client.post(path, json=body, headers=clerk), 409, "conflict")
        assert snapshot(engine, issued.permit_id) == before
