"""Bulk issuance over HTTP: an officer approves an uploaded employer batch in chunks.

``POST /v1/batches/{id}/approve`` after the upload and the worker: every granting row gets a
paper credential that verifies with the real pipeline (a paper profile), permit numbers and
status indices are unique, the audit chain verifies, the offer issued with each permit gives
the employee key-bound copies that leave the paper credential current, and a refused request
changes nothing. The service underneath: ``test_bulk_issuance.py``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from issuer.audit import verify_stored_chain
from issuer.models import Application, AuditEvent, Credential, Permit
from issuer.services.bulk import MAX_CHUNK
from issuer.settings import IssuerSettings
from tests.clock import FakeClock
from tests.databases import count_rows
from tests.issuer.batch_helpers import (
    EmployerHandle,
    csv_text,
    employee,
    make_employer,
    upload,
    wait_for_batch,
)
from tests.issuer.bulk_helpers import REGISTRATION_PATCH, paper_result, seed_batch, states
from tests.issuer.conftest import OfficerFactory, Sessions
from tests.issuer.helpers import assert_problem
from tests.issuer.wallet import (
    ClientStatusLookup,
    holder_key,
    obtain,
    payload_of,
    trust_list,
    verify,
)


@pytest.fixture
def employer(engine: Engine, settings: IssuerSettings, clock: FakeClock) -> EmployerHandle:
    return make_employer(engine, settings, clock)


@pytest.fixture
def processed_batch(client: TestClient, employer: EmployerHandle) -> str:
    """An uploaded batch, read by the worker: rows 1-3 grant permits, row 4 is a registration,
    row 5 fails validation."""
    bodies = [employee(1), employee(2), employee(3)]
    registration = employee(4)
    registration["facts"] = {**registration["facts"], **REGISTRATION_PATCH}
    broken = employee(5, id_number="310104199001010000")
    response = upload(client, employer, csv_text([*bodies, registration, broken]))
    assert response.status_code == 202, response.text
    batch_id: str = response.json()["id"]
    status = wait_for_batch(client, employer, batch_id)
    assert (status["state"], status["done"], status["failed"]) == ("done", 4, 1)
    return batch_id


def approve_request(client: TestClient, batch_id: str, headers: dict[str, str], **body: Any) -> Any:
    return client.post(
        f"/v1/batches/{batch_id}/approve",
        json={"reason": "employer documents checked", **body},
        headers=headers,
    )


class TestApprovalOverHttp:
    def test_chunks_issue_every_granting_row_with_verifiable_paper_credentials(
        self,
        client: TestClient,
        sessions: Sessions,
        make_officer: OfficerFactory,
        clock: FakeClock,
        engine: Engine,
        processed_batch: str,
    ) -> None:
        headers = sessions.headers(make_officer("clerk"))
        first = approve_request(client, processed_batch, headers, limit=2)
        assert first.status_code == 200, first.text
        assert first.headers["cache-control"] == "no-store"
        assert [item["row"] for item in first.json()["issued"]] == [1, 2]
        assert first.json()["remaining"] == 1
        second = approve_request(client, processed_batch, headers)
        assert second.status_code == 200, second.text
        assert [item["row"] for item in second.json()["issued"]] == [3]
        assert second.json()["remaining"] == 0
        third = approve_request(client, processed_batch, headers)
        assert (third.json()["issued"], third.json()["remaining"]) == ([], 0)

        issued = first.json()["issued"] + second.json()["issued"]
        directory = trust_list(client)
        lookup = ClientStatusLookup(client)
        for item, index in zip(issued, (1, 2, 3), strict=True):
            result = paper_result(
                item["paper_credential"], directory=directory, status_lookup=lookup, now=clock()
            )
            assert (result.valid, result.status) == (True, "valid"), result
            assert result.claims["name"] == employee(index)["name"]
            payload = payload_of(item["paper_credential"])
            assert "cnf" not in payload
            assert payload["permit_no"] == item["permit_no"]
            assert payload["id_number"] == employee(index)["id_number"]
            assert item["offer"]["purpose"] == "issue"
            assert item["offer"]["tx_code"] is not None
        assert len({item["permit_no"] for item in issued}) == 3

        with Session(engine) as session:
            assert verify_stored_chain(session).ok
            rows = session.execute(
                select(
                    col(Credential.status_list_id),
                    col(Credential.status_idx),
                    col(Credential.holder_jkt),
                )
            ).all()
            assert len(rows) == 3
            assert len({(list_id, idx) for list_id, idx, _ in rows}) == 3
            assert all(jkt is None for _, _, jkt in rows)
            by_state = dict(
                session.execute(
                    select(col(Application.state), func.count()).group_by(col(Application.state))
                ).all()
            )
            assert by_state == {"issued": 3, "submitted": 1}  # the registration waits
            actions = [
                event.action
                for event in session.exec(select(AuditEvent).order_by(col(AuditEvent.seq)))
            ]
            assert actions.count("batch.approve") == 2
            assert actions.count("application.approve") == 3
            assert actions.count("application.issue") == 3
            assert actions.count("permit.create") == 3
            assert actions.count("offer.create") == 3

    def test_the_offer_adds_wallet_copies_and_keeps_the_paper_credential(
        self,
        client: TestClient,
        sessions: Sessions,
        make_officer: OfficerFactory,
        clock: FakeClock,
        engine: Engine,
        processed_batch: str,
    ) -> None:
        headers = sessions.headers(make_officer("clerk"))
        response = approve_request(client, processed_batch, headers, limit=1)
        [item] = response.json()["issued"]
        keys = [holder_key(), holder_key("EdDSA")]
        copies = obtain(client, item["offer"], keys, clock)
        for copy, key in zip(copies, keys, strict=True):
            result = verify(client, copy, key, clock)
            assert (result.valid, result.status) == (True, "valid"), result
            assert result.claims["permit_no"] == item["permit_no"]
        paper = paper_result(
            item["paper_credential"],
            directory=trust_list(client),
            status_lookup=ClientStatusLookup(client),
            now=clock(),
        )
        assert paper.valid
        with Session(engine) as session:
            credentials = session.exec(
                select(Credential).where(col(Credential.permit_id) == uuid.UUID(item["permit_id"]))
            ).all()
            assert len(credentials) == 3
            assert all(credential.retired_at is None for credential in credentials)
            assert verify_stored_chain(session).ok

    def test_suspending_a_bulk_permit_suspends_its_paper_credential(
        self,
        client: TestClient,
        sessions: Sessions,
        make_officer: OfficerFactory,
        clock: FakeClock,
        processed_batch: str,
    ) -> None:
        clerk_headers = sessions.headers(make_officer("clerk"))
        [item, *_] = approve_request(client, processed_batch, clerk_headers).json()["issued"]
        supervisor = sessions.headers(make_officer("supervisor"), mfa=True)
        response = client.post(
            f"/v1/permits/{item['permit_id']}/suspend",
            json={"reason": "court order"},
            headers=supervisor,
        )
        assert response.status_code == 200, response.text
        result = paper_result(
            item["paper_credential"],
            directory=trust_list(client),
            status_lookup=ClientStatusLookup(client),
            now=clock(),
        )
        assert result.status == "suspended"

    def test_refusals(
        self,
        client: TestClient,
        sessions: Sessions,
        make_officer: OfficerFactory,
        employer: EmployerHandle,
        engine: Engine,
        settings: IssuerSettings,
        clock: FakeClock,
        processed_batch: str,
    ) -> None:
        clerk_headers = sessions.headers(make_officer("clerk"))
        assert_problem(approve_request(client, processed_batch, {}), 401, "unauthenticated")
        assert_problem(
            approve_request(client, processed_batch, employer.headers), 401, "unauthenticated"
        )
        auditor = sessions.headers(make_officer("auditor"))
        assert approve_request(client, processed_batch, auditor).status_code == 403
        elsewhere = sessions.headers(make_officer("clerk", "chengdu"))
        assert approve_request(client, processed_batch, elsewhere).status_code == 403
        unknown = approve_request(client, str(uuid.uuid4()), clerk_headers)
        assert unknown.status_code == 404
        running = seed_batch(engine, settings, clock, 1, state="running", first=100)
        assert approve_request(client, str(running), clerk_headers).status_code == 409
        for body, field in (
            ({"reason": ""}, "reason"),
            ({"limit": 0}, "limit"),
            ({"limit": MAX_CHUNK + 1}, "limit"),
            ({"extra": 1}, "extra"),
        ):
            response = approve_request(client, processed_batch, clerk_headers, **body)
            assert_problem(response, 422, "invalid_input")
            assert response.json()["field"] == field
        # Nothing above changed anything.
        assert count_rows(engine, Permit) == 0
        assert states(engine, uuid.UUID(processed_batch)) == {"submitted": 4}
