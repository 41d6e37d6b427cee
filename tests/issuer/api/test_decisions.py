"""POST /v1/eligibility and GET /v1/jurisdictions: public, pure decisions (issue 3 §2)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from issuer.api.app import create_app
from issuer.models import AuditEvent
from permit_cli.demo.applicants import PERMIT_FACTS, REGISTRATION_FACTS
from tests.clock import FakeClock
from tests.issuer.conftest import make_settings
from tests.issuer.helpers import assert_problem


def decide(client: TestClient, jurisdiction: str, facts: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/eligibility", json={"jurisdiction": jurisdiction, "facts": facts})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_decision_lists_every_condition(client: TestClient) -> None:
    body = decide(client, "shanghai", PERMIT_FACTS)
    assert body["outcome"] == "permit"
    assert body["jurisdiction"] == "shanghai"
    assert body["conditions"]
    assert all(isinstance(c["met"], bool) and c["because"] for c in body["conditions"])


@pytest.mark.parametrize(
    ("jurisdiction", "facts", "outcome"),
    [
        ("national", {**REGISTRATION_FACTS, "residence_months": 6, "studying": True}, "permit"),
        (
            "national",
            {**REGISTRATION_FACTS, "residence_months": 5, "studying": True},
            "registration",
        ),
        ("chengdu", {**REGISTRATION_FACTS, "intended_stay_days": 30}, "temporary_permit"),
        ("chengdu", {**REGISTRATION_FACTS, "intended_stay_days": 6}, "ineligible"),
        ("shanghai", REGISTRATION_FACTS, "registration"),
    ],
)
def test_outcomes_across_jurisdictions(
    client: TestClient, jurisdiction: str, facts: dict[str, Any], outcome: str
) -> None:
    assert decide(client, jurisdiction, facts)["outcome"] == outcome


def test_nothing_is_stored(client: TestClient, engine: Engine) -> None:
    decide(client, "shanghai", PERMIT_FACTS)
    with Session(engine) as session:
        assert session.exec(select(AuditEvent)).first() is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"jurisdiction": "atlantis", "facts": REGISTRATION_FACTS}, "jurisdiction"),
        ({"jurisdiction": "../rules/shanghai", "facts": REGISTRATION_FACTS}, "jurisdiction"),
        ({"jurisdiction": "", "facts": REGISTRATION_FACTS}, "jurisdiction"),
        ({"facts": REGISTRATION_FACTS}, "jurisdiction"),
        ({"jurisdiction": "shanghai"}, "facts"),
        ({"jurisdiction": "shanghai", "facts": [1]}, "facts"),
        (
            {"jurisdiction": "shanghai", "facts": {**REGISTRATION_FACTS, "housing": "Owned"}},
            "facts.housing",
        ),
        (
            {
                "jurisdiction": "shanghai",
                "facts": {**REGISTRATION_FACTS, "social_insurance_months_last_24": 25},
            },
            "facts.social_insurance_months_last_24",
        ),
        (
            {"jurisdiction": "shanghai", "facts": {**REGISTRATION_FACTS, "residence_months": -1}},
            "facts.residence_months",
        ),
        ({"jurisdiction": "shanghai", "facts": REGISTRATION_FACTS, "name": "x"}, "name"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    assert_problem(client.post("/v1/eligibility", json=body), 422, "invalid_input", field=field)


def test_only_served_jurisdictions(db_url: str, engine: Engine, clock: FakeClock) -> None:
    settings = make_settings(db_url, jurisdictions=["chengdu"])
    with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
        refused = client.post(
            "/v1/eligibility", json={"jurisdiction": "shanghai", "facts": REGISTRATION_FACTS}
        )
        assert_problem(refused, 422, "invalid_input", field="jurisdiction")
        assert client.get("/v1/jurisdictions").json() == {"jurisdictions": ["chengdu"]}


def test_jurisdictions(client: TestClient) -> None:
    response = client.get("/v1/jurisdictions")
    assert response.status_code == 200
    assert set(response.json()["jurisdictions"]) == {
        "national",
        "shanghai",
        "shenzhen",
        "chengdu",
        "zhengzhou",
        "jiangsu",
    }
