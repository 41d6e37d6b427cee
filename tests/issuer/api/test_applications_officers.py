"""/v1/applications, the officers' side: listing, reading and deciding applications."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from issuer.audit import verify_stored_chain
from issuer.models import Application, AuditEvent, Transition
from permit_cli.demo.applicants import REGISTRATION_FACTS
from tests.clock import FakeClock
from tests.issuer.conftest import OfficerFactory, Sessions
from tests.issuer.helpers import application_body, assert_problem
from tests.issuer.wallet import submit


def snapshot(engine: Engine, application_id: str) -> tuple[str, int, int]:
    """(state, transition rows, application audit events): what a refused move must not change.

    Logins write audit events of their own, so only application events are counted."""
    with Session(engine) as session:
        row = session.get(Application, uuid.UUID(application_id))
        assert row is not None
        transitions = session.exec(select(func.count()).select_from(Transition)).one()
        events = session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(col(AuditEvent.action).startswith("application."))
        ).one()
    return row.state, transitions, events


class TestList:
    def test_officer_sees_only_their_jurisdiction(
        self, client: TestClient, make_officer: OfficerFactory, sessions: Sessions
    ) -> None:
        mine = submit(client)
        submit(
            client,
            jurisdiction="chengdu",
            residence_address={"region_code": "510104", "district": "锦江区", "street": "x"},
        )
        response = client.get("/v1/applications", headers=sessions.headers(make_officer()))
        assert response.status_code == 200
        assert [a["id"] for a in response.json()] == [mine["application_id"]]
        item = response.json()[0]
        assert item["residence_address"] == application_body()["residence_address"]
        assert "status_token_hash" not in item

    def test_state_filter_and_paging(
        self,
        client: TestClient,
        make_officer: OfficerFactory,
        sessions: Sessions,
        clock: FakeClock,
    ) -> None:
        ids = []
        for _ in range(3):
            ids.append(submit(client)["application_id"])
            clock.advance(seconds=1)
        headers = sessions.headers(make_officer())
        client.post(f"/v1/applications/{ids[1]}/reject", headers=headers, json={"reason": "dup"})
        submitted = client.get("/v1/applications?state=submitted", headers=headers).json()
        assert [a["id"] for a in submitted] == [ids[0], ids[2]]
        page = client.get("/v1/applications?limit=1&offset=1", headers=headers).json()
        assert [a["id"] for a in page] == [ids[1]]
        own = client.get("/v1/applications?jurisdiction=shanghai", headers=headers)
        assert len(own.json()) == 3

    def test_auditor_may_read(
        self, client: TestClient, make_officer: OfficerFactory, sessions: Sessions
    ) -> None:
        submit(client)
        response = client.get("/v1/applications", headers=sessions.headers(make_officer("auditor")))
        assert response.status_code == 200
        assert len(response.json()) == 1

    def test_other_jurisdiction_is_403(
        self, client: TestClient, make_officer: OfficerFactory, sessions: Sessions
    ) -> None:
        headers = sessions.headers(make_officer())
        response = client.get("/v1/applications?jurisdiction=chengdu", headers=headers)
        assert_problem(response, 403, "forbidden")

    def test_unauthenticated_is_401(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/applications"), 401, "unauthenticated")

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("state=pending", "state"),
            ("limit=0", "limit"),
            ("limit=201", "limit"),
            ("offset=-1", "offset"),
        ],
    )
    def test_bad_query_is_422(
        self,
        client: TestClient,
        make_officer: OfficerFactory,
        sessions: Sessions,
        query: str,
        field: str,
    ) -> None:
        response = client.get(f"/v1/applications?{query}", headers=sessions.headers(make_officer()))
        assert_problem(response, 422, "invalid_input", field=field)


class TestGet:
    def test_officer_reads_an_application(
        self, client: TestClient, make_officer: OfficerFactory, sessions: Sessions
    ) -> None:
        receipt = submit(client)
        response = client.get(
            f"/v1/applications/{receipt['application_id']}",
            headers=sessions.headers(make_officer()),
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["id"], body["name"], body["state"]) == (
            receipt["application_id"],
            "李梅",
            "submitted",
        )
        assert body["decision"] == receipt["decision"]

    def test_other_jurisdiction_is_403_and_unknown_is_404(
        self, client: TestClient, make_officer: OfficerFactory, sessions: Sessions
    ) -> None:
        receipt = submit(client)
        chengdu = sessions.headers(make_officer(jurisdiction="chengdu"))
        other = client.get(f"/v1/applications/{receipt['application_id']}", headers=chengdu)
        assert_problem(other, 403, "forbidden")
        assert "李梅" not in other.text
        assert_problem(
            client.get(f"/v1/applications/{uuid.uuid4()}", headers=chengdu), 404, "not_found"
        )

    def test_unauthenticated_and_malformed_id(
        self, client: TestClient, make_officer: OfficerFactory, sessions: Sessions
    ) -> None:
        receipt = submit(client)
        assert_problem(
            client.get(f"/v1/applications/{receipt['application_id']}"), 401, "unauthenticated"
        )
        response = client.get(
            "/v1/applications/not-a-uuid", headers=sessions.headers(make_officer())
        )
        assert_problem(response, 422, "invalid_input", field="application_id")


class TestDecisions:
    @pytest.mark.parametrize("role", ["clerk", "supervisor"])
    def test_approve_records_who_when_and_why(
        self,
        client: TestClient,
        make_officer: OfficerFactory,
        sessions: Sessions,
        engine: Engine,
        clock: FakeClock,
        role: str,
    ) -> None:
        receipt = submit(client)
        officer = make_officer(role)
        headers = sessions.headers(officer)
        clock.advance(minutes=3)
        response = client.post(
            f"/v1/applications/{receipt['application_id']}/approve",
            headers=headers,
            json={"reason": "residence and insurance verified"},
        )
        assert response.status_code == 200
        assert response.json()["state"] == "approved"
        with Session(engine) as session:
            transition = session.exec(select(Transition)).one()
            # The approval's own event; the credential offer created with it is audited next.
            event = session.exec(
                select(AuditEvent)
                .where(AuditEvent.action == "application.approve")
                .order_by(col(AuditEvent.seq).desc())
            ).first()
            row = session.get(Application, uuid.UUID(receipt["application_id"]))
            assert verify_stored_chain(session).ok
        assert row is not None
        assert row.updated_at == clock()
        assert (transition.entity, str(transition.entity_id)) == (
            "application",
            receipt["application_id"],
        )
        assert (transition.from_state, transition.to_state, transition.action) == (
            "submitted",
            "approved",
            "approve",
        )
        assert (transition.actor, transition.at, transition.reason) == (
            f"officer:{officer.id}",
            clock(),
            "residence and insurance verified",
        )
        assert event is not None
        assert (event.action, event.actor) == ("application.approve", f"officer:{officer.id}")
        assert event.refs == {
            "application": receipt["application_id"],
            "transition": str(transition.id),
        }

    def test_reject(
        self, client: TestClient, make_officer: OfficerFactory, sessions: Sessions
    ) -> None:
        receipt = submit(client, facts=REGISTRATION_FACTS)
        response = client.post(
            f"/v1/applications/{receipt['application_id']}/reject",
            headers=sessions.headers(make_officer()),
            json={"reason": "registered as residence registration (居住登记) instead"},
        )
        assert response.status_code == 200
        assert response.json()["state"] == "rejected"
        status = client.get(
            f"/v1/applications/{receipt['application_id']}/status",
            headers={"X-Status-Token": receipt["status_token"]},
        )
        assert status.json()["state"] == "rejected"

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            ("approve", "approve"),
            ("approve", "reject"),
            ("reject", "approve"),
            ("reject", "reject"),
        ],
    )
    def test_illegal_moves_are_409_and_change_nothing(
        self,
        client: TestClient,
        make_officer: OfficerFactory,
        sessions: Sessions,
        engine: Engine,
        first: str,
        second: str,
    ) -> None:
        receipt = submit(client)
        headers = sessions.headers(make_officer())
        url = f"/v1/applications/{receipt['application_id']}"
        assert (
            client.post(f"{url}/{first}", headers=headers, json={"reason": "r"}).status_code == 200
        )
        before = snapshot(engine, receipt["application_id"])
        response = client.post(f"{url}/{second}", headers=headers, json={"reason": "again"})
        assert_problem(response, 409, "conflict")
        assert snapshot(engine, receipt["application_id"]) == before

    def test_outcome_without_a_permit_cannot_be_approved(
        self, client: TestClient, make_officer: OfficerFactory, sessions: Sessions, engine: Engine
    ) -> None:
        receipt = submit(client, facts=REGISTRATION_FACTS)
        before = snapshot(engine, receipt["application_id"])
        response = client.post(
            f"/v1/applications/{receipt['application_id']}/approve",
            headers=sessions.headers(make_officer()),
            json={"reason": "looks fine"},
        )
        assert_problem(response, 409, "conflict")
        assert snapshot(engine, receipt["application_id"]) == before

    @pytest.mark.parametrize("action", ["approve", "reject"])
    def test_auditor_and_other_jurisdiction_are_403_and_change_nothing(
        self,
        client: TestClient,
        make_officer: OfficerFactory,
        sessions: Sessions,
        engine: Engine,
        action: str,
    ) -> None:
        receipt = submit(client)
        url = f"/v1/applications/{receipt['application_id']}/{action}"
        before = snapshot(engine, receipt["application_id"])
        for officer in (make_officer("auditor"), make_officer("supervisor", "chengdu")):
            response = client.post(url, headers=sessions.headers(officer), json={"reason": "r"})
            assert_problem(response, 403, "forbidden")
        assert snapshot(engine, receipt["application_id"]) == before

    @pytest.mark.parametrize("action", ["approve", "reject"])
    def test_unauthenticated_is_401(self, client: TestClient, action: str) -> None:
        receipt = submit(client)
        response = client.post(
            f"/v1/applications/{receipt['application_id']}/{action}", json={"reason": "r"}
        )
        assert_problem(response, 401, "unauthenticated")

    @pytest.mark.parametrize(
        "body",
        [{}, {"reason": ""}, {"reason": "x" * 501}, {"reason": 5}, {"reason": "ok", "extra": 1}],
    )
    def test_bad_body_is_422(
        self,
        client: TestClient,
        make_officer: OfficerFactory,
        sessions: Sessions,
        engine: Engine,
        body: dict[str, Any],
    ) -> None:
        receipt = submit(client)
        response = client.post(
            f"/v1/applications/{receipt['application_id']}/approve",
            headers=sessions.headers(make_officer()),
            json=body,
        )
        field = "extra" if "extra" in body else "reason"
        assert_problem(response, 422, "invalid_input", field=field)
        assert snapshot(engine, receipt["application_id"])[0] == "submitted"

    def test_blank_reason_is_refused_by_the_service(
        self, client: TestClient, make_officer: OfficerFactory, sessions: Sessions
    ) -> None:
        receipt = submit(client)
        response = client.post(
            f"/v1/applications/{receipt['application_id']}/approve",
            headers=sessions.headers(make_officer()),
            json={"reason": "   "},
        )
        assert_problem(response, 422, "invalid_input", field="reason")

    def test_unknown_application_is_404(
        self, client: TestClient, make_officer: OfficerFactory, sessions: Sessions
    ) -> None:
        response = client.post(
            f"/v1/applications/{uuid.uuid4()}/approve",
            headers=sessions.headers(make_officer()),
            json={"reason": "r"},
        )
        assert_problem(response, 404, "not_found")
