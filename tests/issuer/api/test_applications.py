"""/v1/applications, the applicant's side: public submission and status by receipt."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from issuer.models import Application, AuditEvent
from permit_cli.demo.applicants import REGISTRATION_FACTS
from tests.clock import FakeClock
from tests.issuer.helpers import application_body, assert_problem, id_number
from tests.issuer.wallet import submit


class TestSubmit:
    def test_submission_stores_the_decision_and_answers_a_receipt(
        self, client: TestClient, engine: Engine, clock: FakeClock
    ) -> None:
        receipt = submit(client)
        assert receipt["state"] == "submitted"
        assert receipt["outcome"] == "permit"
        assert receipt["decision"]["outcome"] == "permit"
        assert receipt["decision"]["jurisdiction"] == "shanghai"
        assert all({"id", "met", "because"} <= c.keys() for c in receipt["decision"]["conditions"])
        assert len(receipt["status_token"]) >= 43
        with Session(engine) as session:
            row = session.get(Application, uuid.UUID(receipt["application_id"]))
            events = list(session.exec(select(AuditEvent)))
        assert row is not None
        assert (row.name, row.residence_district, row.outcome) == ("李梅", "徐汇区", "permit")
        assert row.created_at == clock()
        assert row.status_token_hash != receipt["status_token"]
        assert [(e.action, e.actor, e.refs) for e in events] == [
            ("application.submit", "applicant", {"application": receipt["application_id"]})
        ]
        assert "李梅" not in repr(events)

    def test_meeting_nothing_gives_registration_with_reasons(self, client: TestClient) -> None:
        receipt = submit(client, facts=REGISTRATION_FACTS)
        assert receipt["outcome"] == "registration"
        assert any(not c["met"] for c in receipt["decision"]["conditions"])

    def test_no_authentication_needed(self, client: TestClient) -> None:
        assert client.post("/v1/applications", json=application_body()).status_code == 201

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"sex": "X"}, "sex"),
            ({"facts": {**REGISTRATION_FACTS, "residence_months": "12"}}, "facts.residence_months"),
            ({"facts": {**REGISTRATION_FACTS, "residence_months": 6.0}}, "facts.residence_months"),
            ({"facts": {**REGISTRATION_FACTS, "studying": 1}}, "facts.studying"),
            ({"facts": {**REGISTRATION_FACTS, "residence_month": 1}}, "facts.residence_month"),
            (
                {"facts": {k: v for k, v in REGISTRATION_FACTS.items() if k != "housing"}},
                "facts.housing",
            ),
            ({"facts": "all good"}, "facts"),
            ({"jurisdiction": "atlantis"}, "jurisdiction"),
            ({"birth_date": "1990-03-08"}, "id_number"),
            ({"sex": "M"}, "id_number"),
            ({"id_number": id_number()[:-1] + "0"}, "id_number"),
            ({"birth_date": "2030-01-01", "id_number": id_number("20300101")}, "birth_date"),
            (
                {
                    "residence_address": {
                        "region_code": "510104",
                        "district": "锦江区",
                        "street": "x",
                    }
                },
                "residence_address.region_code",
            ),
            (
                {"residence_address": {"region_code": "310104", "street": "x"}},
                "residence_address.district",
            ),
            ({"unexpected": True}, "unexpected"),
        ],
    )
    def test_bad_input_is_422_naming_the_field(
        self, client: TestClient, engine: Engine, change: dict[str, Any], field: str
    ) -> None:
        response = client.post("/v1/applications", json=application_body(**change))
        assert_problem(response, 422, "invalid_input", field=field)
        with Session(engine) as session:
            assert session.exec(select(Application)).first() is None

    def test_problems_never_echo_personal_data(self, client: TestClient) -> None:
        bad = id_number()[:-1] + "0"
        response = client.post("/v1/applications", json=application_body(id_number=bad))
        assert response.status_code == 422
        assert bad not in response.text
        assert "李梅" not in response.text

    def test_missing_or_malformed_body(self, client: TestClient) -> None:
        assert_problem(client.post("/v1/applications"), 422, "invalid_input", field="body")
        response = client.post(
            "/v1/applications", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert_problem(response, 422, "invalid_input")

    def test_other_jurisdictions_have_their_own_rules(self, client: TestClient) -> None:
        receipt = submit(
            client,
            jurisdiction="chengdu",
            residence_address={
                "region_code": "510104",
                "district": "锦江区",
                "street": "春熙路1号",
            },
            facts={**REGISTRATION_FACTS, "intended_stay_days": 30},
        )
        assert receipt["outcome"] == "temporary_permit"


class TestStatus:
    def test_applicant_sees_state_and_decision_but_no_identity(self, client: TestClient) -> None:
        receipt = submit(client)
        response = client.get(
            f"/v1/applications/{receipt['application_id']}/status",
            headers={"X-Status-Token": receipt["status_token"]},
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["state"], body["outcome"]) == ("submitted", "permit")
        assert "name" not in body
        assert "id_number" not in body

    def test_wrong_token_and_unknown_id_look_the_same(self, client: TestClient) -> None:
        receipt = submit(client)
        wrong = client.get(
            f"/v1/applications/{receipt['application_id']}/status",
            headers={"X-Status-Token": "x" * 43},
        )
        unknown = client.get(
            f"/v1/applications/{uuid.uuid4()}/status",
            headers={"X-Status-Token": receipt["status_token"]},
        )
        assert_problem(wrong, 404, "not_found")
        assert_problem(unknown, 404, "not_found")
        assert wrong.json() == unknown.json()

    def test_missing_token_is_422(self, client: TestClient) -> None:
        receipt = submit(client)
        response = client.get(f"/v1/applications/{receipt['application_id']}/status")
        assert_problem(response, 422, "invalid_input", field="X-Status-Token")
