"""Permit endpoints: listing due endorsements, detail, suspend / reinstate / revoke.

Every refusal (401, step-up 401, 403, 404, 409, 422) is checked to change nothing.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from issuer.models import AuditEvent, Transition
from tests.clock import FakeClock
from tests.issuer.conftest import OfficerFactory, Sessions
from tests.issuer.helpers import assert_problem, id_number
from tests.issuer.permit_helpers import snapshot
from tests.issuer.wallet import (
    CHENGDU_TEMPORARY,
    Issued,
    issue_permit,
)


class TestListing:
    def test_due_within_lists_own_jurisdiction_soonest_first(
        self,
        client: TestClient,
        sessions: Sessions,
        make_officer: OfficerFactory,
        clock: FakeClock,
    ) -> None:
        first = issue_permit(client, sessions, make_officer, clock)
        clock.advance(days=40)
        second = issue_permit(
            client,
            sessions,
            make_officer,
            clock,
            birth_date="1985-11-11",
            id_number=id_number("19851111", sex="F"),
        )
        issue_permit(
            client,
            sessions,
            make_officer,
            clock,
            **CHENGDU_TEMPORARY,
            id_number=id_number("19600301", sex="M", region="510104"),
        )
        clock.advance(days=300)  # 2027-02-05 CST: first ends 2027-03-02, second 2027-04-11
        auditor = sessions.headers(make_officer("auditor"))

        def due(window: str) -> list[str]:
            response = client.get("/v1/permits", params={"due_within": window}, headers=auditor)
            assert response.status_code == 200, response.text
            return [permit["id"] for permit in response.json()]

        assert due("30d") == [first.permit_id]
        assert due("90d") == [first.permit_id, second.permit_id]
        assert due("0d") == []
        every = client.get("/v1/permits", headers=auditor).json()
        assert {p["id"] for p in every} == {first.permit_id, second.permit_id}
        assert all(p["jurisdiction"] == "shanghai" for p in every)

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"due_within": "30"}, "due_within"),
            ({"due_within": "30x"}, "due_within"),
            ({"due_within": "999d"}, "due_within"),
            ({"state": "gone"}, "state"),
            ({"limit": "0"}, "limit"),
        ],
    )
    def test_bad_query_is_422_naming_the_field(
        self,
        client: TestClient,
        sessions: Sessions,
        make_officer: OfficerFactory,
        params: dict[str, str],
        field: str,
    ) -> None:
        headers = sessions.headers(make_officer("clerk"))
        response = client.get("/v1/permits", params=params, headers=headers)
        assert_problem(response, 422, "invalid_input", field=field)

    def test_unauthenticated(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/permits"), 401, "unauthenticated")


class TestDetail:
    def test_detail_with_credentials(
        self, client: TestClient, issued: Issued, sessions: Sessions, make_officer: OfficerFactory
    ) -> None:
        headers = sessions.headers(make_officer("auditor"))
        body = client.get(f"/v1/permits/{issued.permit_id}", headers=headers).json()
        assert body["state"] == "active"
        assert body["residence_address"]["district"] == "徐汇区"
        assert len(body["credentials"]) == 1
        assert body["credentials"][0]["retired_at"] is None
        assert "holder_jkt" not in body["credentials"][0]

    def test_access_rules(
        self, client: TestClient, issued: Issued, sessions: Sessions, make_officer: OfficerFactory
    ) -> None:
        path = f"/v1/permits/{issued.permit_id}"
        assert_problem(client.get(path), 401, "unauthenticated")
        elsewhere = sessions.headers(make_officer("supervisor", "chengdu"))
        assert_problem(client.get(path, headers=elsewhere), 403, "forbidden")
        own = sessions.headers(make_officer("clerk"))
        assert_problem(client.get(f"/v1/permits/{uuid.uuid4()}", headers=own), 404, "not_found")
        assert_problem(
            client.get("/v1/permits/x", headers=own), 422, "invalid_input", field="permit_id"
        )


class TestStatusMoves:
    @pytest.mark.parametrize("move", ["suspend", "reinstate", "revoke"])
    def test_refusals_change_nothing(
        self,
        client: TestClient,
        issued: Issued,
        sessions: Sessions,
        make_officer: OfficerFactory,
        engine: Engine,
        move: str,
    ) -> None:
        path = f"/v1/permits/{issued.permit_id}/{move}"
        body = {"reason": "court order"}
        before = snapshot(engine, issued.permit_id)
        assert_problem(client.post(path, json=body), 401, "unauthenticated")
        no_mfa = sessions.headers(make_officer("supervisor"))
        stepped = client.post(path, json=body, headers=no_mfa)
        assert_problem(stepped, 401, "unauthenticated")
        assert "insufficient_user_authentication" in stepped.headers["www-authenticate"]
        clerk = sessions.headers(make_officer("clerk"), mfa=True)
        assert_problem(client.post(path, json=body, headers=clerk), 403, "forbidden")
        elsewhere = sessions.headers(make_officer("supervisor", "chengdu"), mfa=True)
        assert_problem(client.post(path, json=body, headers=elsewhere), 403, "forbidden")
        supervisor = sessions.headers(make_officer("supervisor"), mfa=True)
        for bad, field in (({}, "reason"), ({"reason": ""}, "reason"), ({**body, "x": 1}, "x")):
            response = client.post(path, json=bad, headers=supervisor)
            assert_problem(response, 422, "invalid_input", field=field)
        unknown = f"/v1/permits/{uuid.uuid4()}/{move}"
        assert_problem(client.post(unknown, json=body, headers=supervisor), 404, "not_found")
        if move == "reinstate":
            assert_problem(client.post(path, json=body, headers=supervisor), 409, "conflict")
        assert snapshot(engine, issued.permit_id) == before

    def test_each_move_is_recorded(
        self,
        client: TestClient,
        issued: Issued,
        sessions: Sessions,
        make_officer: OfficerFactory,
        engine: Engine,
    ) -> None:
        supervisor = sessions.headers(make_officer("supervisor"), mfa=True)
        base = f"/v1/permits/{issued.permit_id}"
        for move, state in (
            ("suspend", "suspended"),
            ("reinstate", "active"),
            ("revoke", "revoked"),
        ):
            response = client.post(
                f"{base}/{move}", json={"reason": f"{move} now"}, headers=supervisor
            )
            assert response.status_code == 200, response.text
            assert response.json()["state"] == state
        with Session(engine) as session:
            transitions = session.exec(
                select(Transition).where(Transition.entity == "permit").order_by(col(Transition.id))
            ).all()
            actions = [e.action for e in session.exec(select(AuditEvent))]
        assert [(t.action, t.reason) for t in transitions] == [
            ("suspend", "suspend now"),
            ("reinstate", "reinstate now"),
            ("revoke", "revoke now"),
        ]
        assert actions[-3:] == ["permit.suspend", "permit.reinstate", "permit.revoke"]
