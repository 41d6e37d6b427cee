"""The issuer as a fuzz target: the fixtures of ``tests/issuer`` plus credentials and records.

The app is the one ``tests/issuer`` builds (migrated database per backend, fake clock, test
settings). Before fuzzing, a supervisor logs in with password + TOTP (so step-up endpoints are
reachable), an employer key is created, and a few records exist to aim at: applications in
each state (four still submitted: each approval or rejection uses one up), issued permits (one
kept for revocation only, so the other moves stay reachable), an approved application whose
offer is open with the applicant's status token, a finished employer batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.engine import Engine

from issuer.settings import IssuerSettings
from tests.api_fuzz.documents import Operation
from tests.api_fuzz.harness import FuzzTarget, KnownValuesFor
from tests.clock import FakeClock
from tests.issuer.batch_helpers import EmployerHandle, employee, make_employer, wait_for_batch
from tests.issuer.conftest import (
    OfficerFactory,
    Sessions,
    client,
    clock,
    db_url,
    engine,
    make_officer,
    passwords,
    postgres_schema_url,
    postgres_unreachable,
    sessions,
    settings,
    sqlite_template,
)
from tests.issuer.wallet import approve, issue_permit

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

__all__ = [
    "client",
    "clock",
    "db_url",
    "engine",
    "issuer_target",
    "make_officer",
    "passwords",
    "postgres_schema_url",
    "postgres_unreachable",
    "sessions",
    "settings",
    "sqlite_template",
]

_REASON = {"reason": "checked at the counter"}


@dataclass(frozen=True)
class Records:
    """Ids the fuzzer aims at, besides the random ones it generates."""

    applications: tuple[str, ...]
    permit: str
    revocable_permit: str
    batch: str
    #: An approved application whose offer is still open, and its applicant's status token.
    offered: str
    status_token: str


def _submit(client: TestClient, index: int) -> str:
    response = client.post("/v1/applications", json=employee(index))
    assert response.status_code == 201, response.text
    application_id: str = response.json()["application_id"]
    return application_id


def _batch(client: TestClient, employer: EmployerHandle) -> str:
    """A finished batch of two rows, so that its approval issues permits."""
    rows = [employee(index) for index in range(20, 22)]
    response = client.post("/v1/batches", json=rows, headers=employer.headers)
    assert response.status_code == 202, response.text
    batch_id: str = response.json()["id"]
    wait_for_batch(client, employer, batch_id)
    return batch_id


def _seed(
    client: TestClient,
    officer_headers: dict[str, str],
    sessions: Sessions,
    make_officer: OfficerFactory,
    clock: FakeClock,
    employer: EmployerHandle,
) -> Records:
    submitted = tuple(_submit(client, index) for index in (1, 6, 7, 8))
    rejected = _submit(client, 2)
    response = client.post(
        f"/v1/applications/{rejected}/reject", json=_REASON, headers=officer_headers
    )
    assert response.status_code == 200, response.text
    issued = [
        issue_permit(
            client,
            sessions,
            make_officer,
            clock,
            birth_date=body["birth_date"],
            id_number=body["id_number"],
        )
        for body in (employee(3), employee(4))
    ]
    fifth = employee(5)
    offered = approve(
        client, sessions, make_officer, birth_date=fifth["birth_date"], id_number=fifth["id_number"]
    )
    return Records(
        applications=(*submitted, rejected, issued[0].approved.application_id),
        permit=issued[0].permit_id,
        revocable_permit=issued[1].permit_id,
        batch=_batch(client, employer),
        offered=offered.application_id,
        status_token=offered.status_token,
    )


def _known_values(records: Records) -> KnownValuesFor:
    def values(operation: Operation) -> dict[str, tuple[str, ...]]:
        if operation.path.endswith("/revoke"):
            return {"permit_id": (records.revocable_permit,)}
        if operation.path.startswith("/v1/applications/{application_id}/status"):
            # The applicant's view: the id and the token of the receipt.
            return {"application_id": (records.offered,), "X-Status-Token": (records.status_token,)}
        return {
            "application_id": (*records.applications, records.offered),
            "permit_id": (records.permit,),
            "batch_id": (records.batch,),
            "list_id": ("1",),
        }

    return values


@pytest.fixture
def issuer_target(
    client: TestClient,
    sessions: Sessions,
    make_officer: OfficerFactory,
    engine: Engine,
    settings: IssuerSettings,
    clock: FakeClock,
    db_url: str,
) -> FuzzTarget:
    officer = make_officer("supervisor")
    officer_headers = sessions.headers(officer, mfa=True)
    employer = make_employer(engine, settings, clock)
    records = _seed(client, officer_headers, sessions, make_officer, clock, employer)
    by_scheme = {"OAuth2PasswordBearer": officer_headers, "EmployerKey": employer.headers}

    def credentials_for(operation: Operation) -> list[dict[str, str]]:
        schemes = [s for req in operation.definition.raw.get("security", ()) for s in req]
        return [by_scheme[schemes[0]]] if schemes else [{}]

    backend = db_url.split(":", 1)[0].split("+", 1)[0]
    return FuzzTarget.serving(
        f"issuer/{backend}",
        client,
        credentials_for=credentials_for,
        known_values_for=_known_values(records),
    )
