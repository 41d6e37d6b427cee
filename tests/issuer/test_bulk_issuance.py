"""Bulk issuance: an officer approves an employer batch, its permits are issued in chunks.

Through the HTTP API (upload, worker, ``POST /v1/batches/{id}/approve``) and through the
service: every paper credential verifies with the real pipeline (a paper profile), status
indices and permit numbers are unique, the audit chain verifies and names the right rows, a
chunk is all or nothing, concurrent approvals never share an index, and the offer issued with
each permit gives the employee key-bound copies that leave the paper credential current.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from secrets import randbelow
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from issuer.audit import verify_stored_chain
from issuer.authz import Principal
from issuer.db import session_scope
from issuer.lifecycle import ApplicationState
from issuer.models import (
    Application,
    ApplicationCreate,
    AuditEvent,
    Batch,
    Credential,
    CredentialOffer,
    Employer,
    Permit,
    PermitSequence,
    Role,
    StatusAllocation,
    StatusList,
    Transition,
)
from issuer.services.applications import submit_application
from issuer.services.bulk import MAX_CHUNK, approve_batch, issue_batch
from issuer.services.oid4vci import ApplicationRow
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from tests.clock import FakeClock
from tests.issuer.batch_helpers import (
    EmployerHandle,
    csv_text,
    employee,
    make_employer,
    upload,
    wait_for_batch,
)
from tests.issuer.conftest import OfficerFactory, Sessions, make_settings
from tests.issuer.crash import kill_9_inside
from tests.issuer.helpers import assert_problem
from tests.issuer.wallet import (
    ISSUER,
    STATUS_PREFIX,
    ClientStatusLookup,
    holder_key,
    obtain,
    payload_of,
    trust_list,
    verify,
)
from wire.errors import Conflict
from wire.presentation import create_presentation
from wire.profiles import load_profiles
from wire.trust import TrustList, status_uri_allowed
from wire.verify import IssuerTrust, StatusLookup, VerificationResult, check_presentation

PROFILES = load_profiles()
LANDLORD = PROFILES["landlord"]
REGISTRATION_FACTS = {"has_residence_proof": False, "housing": "none"}


def paper_result(
    credential: str,
    *,
    directory: TrustList,
    status_lookup: StatusLookup,
    now: datetime,
) -> VerificationResult:
    """The landlord's check of a paper presentation (no KB-JWT) of ``credential``."""
    presentation = create_presentation(credential, list(LANDLORD.claims), holder_key=None)
    return check_presentation(
        presentation,
        profile=LANDLORD,
        directory=directory,
        now=int(now.timestamp()),
        status_lookup=status_lookup,
        uri_allowed=lambda uri, prefixes: status_uri_allowed(
            uri, prefixes, allow_insecure_loopback=True
        ),
    )


def ring_trust_list(ring: KeyRing) -> TrustList:
    entry = {
        "iss": ISSUER,
        "name": "上海市公安局",
        "region_code": "310000",
        "jwks": ring.jwks(),
        "status_list_prefixes": [STATUS_PREFIX],
    }
    return TrustList.from_json({"version": 1, "issuers": [entry]}, allow_insecure_loopback=True)


def database_status(engine: Engine) -> StatusLookup:
    """Status straight from the allocation rows (the service tests run no status endpoint)."""

    def lookup(issuer: IssuerTrust, *, uri: str, idx: int, now: int) -> int:
        del issuer, now
        with Session(engine) as session:
            row = session.get(StatusAllocation, (int(uri.removeprefix(STATUS_PREFIX)), idx))
        assert row is not None
        return int(row.status)

    return lookup


def count(engine: Engine, model: Any) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def clerk(jurisdiction: str = "shanghai") -> Principal:
    return Principal(uuid.uuid4(), Role.CLERK, jurisdiction, mfa=False)


def seed_batch(
    engine: Engine,
    settings: IssuerSettings,
    clock: FakeClock,
    rows: int,
    *,
    state: str = "done",
    first: int = 1,
    registration_rows: frozenset[int] = frozenset(),
) -> uuid.UUID:
    """A processed employer batch written through the services (no upload, no worker)."""
    with session_scope(engine) as session:
        employer = Employer(
            name="测试公司",
            jurisdiction="shanghai",
            api_key_hash=uuid.uuid4().hex,
            created_at=clock(),
        )
        session.add(employer)
        session.flush()
        batch = Batch(
            employer_id=employer.id,
            jurisdiction="shanghai",
            state=state,
            total=rows,
            done=rows,
            errors=[],
            created_at=clock(),
            updated_at=clock(),
        )
        session.add(batch)
        session.flush()
        for row in range(1, rows + 1):
            body = employee(first + row)
            if row in registration_rows:
                body["facts"] = {**body["facts"], **REGISTRATION_FACTS}
            application, _ = submit_application(
                session=session,
                data=ApplicationCreate.model_validate(body),
                served=settings.jurisdictions,
                now=clock(),
            )
            application.batch_id = batch.id
            application.batch_row = row
            session.add(application)
        return batch.id


def states(engine: Engine, batch_id: uuid.UUID) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.execute(
            select(col(Application.state), func.count())
            .where(col(Application.batch_id) == batch_id)
            .group_by(col(Application.state))
        ).all()
    return {str(state): int(n) for state, n in rows}


def approve_all(
    engine: Engine,
    settings: IssuerSettings,
    ring: KeyRing,
    batch_id: uuid.UUID,
    clock: FakeClock,
    *,
    limit: int = MAX_CHUNK,
    principal: Principal | None = None,
    randbelow: Callable[[int], int] = randbelow,
) -> list[str]:
    credentials: list[str] = []
    while True:
        with session_scope(engine) as session:
            result = approve_batch(
                session=session,
                principal=principal or clerk(),
                settings=settings,
                ring=ring,
                batch_id=batch_id,
                reason="employer documents checked",
                limit=limit,
                now=clock(),
                randbelow=randbelow,
            )
        credentials += [item.paper_credential for item in result.issued]
        if result.remaining == 0:
            return credentials


# --- over HTTP --------------------------------------------------------------------------------


@pytest.fixture
def employer(engine: Engine, settings: IssuerSettings, clock: FakeClock) -> EmployerHandle:
    return make_employer(engine, settings, clock)


@pytest.fixture
def processed_batch(client: TestClient, employer: EmployerHandle) -> str:
    """An uploaded batch, read by the worker: rows 1-3 grant permits, row 4 is a registration,
    row 5 fails validation."""
    bodies = [employee(1), employee(2), employee(3)]
    registration = employee(4)
    registration["facts"] = {**registration["facts"], **REGISTRATION_FACTS}
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
        assert count(engine, Permit) == 0
        assert states(engine, uuid.UUID(processed_batch)) == {"submitted": 4}


# --- the service ------------------------------------------------------------------------------


class TestService:
    def test_all_or_nothing_when_a_chunk_fails_late(
        self, engine: Engine, settings: IssuerSettings, clock: FakeClock
    ) -> None:
        batch_id = seed_batch(engine, settings, clock, 6)
        events_before = count(engine, AuditEvent)
        draws = 0

        def failing(size: int) -> int:
            nonlocal draws
            draws += 1
            if draws > 3:  # after permits, offers, transitions and events were written
                raise RuntimeError("power cut")
            return draws * 7 % size

        with pytest.raises(RuntimeError), session_scope(engine) as session:
            approve_batch(
                session=session,
                principal=clerk(),
                settings=settings,
                ring=KeyRing.generate(),
                batch_id=batch_id,
                reason="employer documents checked",
                limit=10,
                now=clock(),
                randbelow=failing,
            )
        assert states(engine, batch_id) == {"submitted": 6}
        for model in (
            Permit,
            Credential,
            CredentialOffer,
            StatusAllocation,
            Transition,
            PermitSequence,
        ):
            assert count(engine, model) == 0, model
        assert count(engine, AuditEvent) == events_before
        with Session(engine) as session:
            assert verify_stored_chain(session).ok

    def test_kill_9_before_the_commit_leaves_nothing(
        self, db_url: str, engine: Engine, settings: IssuerSettings, clock: FakeClock
    ) -> None:
        batch_id = seed_batch(engine, settings, clock, 5)
        events_before = count(engine, AuditEvent)
        kill_9_inside("tests.issuer.bulk_crash_worker", db_url, str(batch_id), point="5")
        assert states(engine, batch_id) == {"submitted": 5}
        for model in (Permit, Credential, CredentialOffer, StatusAllocation, Transition):
            assert count(engine, model) == 0, model
        assert count(engine, AuditEvent) == events_before
        # The killed transaction's number block was never taken: the next approval starts at 1.
        ring = KeyRing.generate()
        credentials = approve_all(engine, settings, ring, batch_id, clock)
        assert len(credentials) == 5
        with Session(engine) as session:
            numbers = sorted(session.exec(select(col(Permit.permit_no))).all())
            assert verify_stored_chain(session).ok
        assert numbers == [f"3101042026{n:06d}" for n in range(1, 6)]

    def test_a_stale_application_refuses_the_whole_chunk(
        self, engine: Engine, settings: IssuerSettings, clock: FakeClock
    ) -> None:
        batch_id = seed_batch(engine, settings, clock, 3)
        with Session(engine) as session:
            rows = session.exec(
                select(Application)
                .where(col(Application.batch_id) == batch_id)
                .order_by(col(Application.batch_row))
            ).all()
            applications = [ApplicationRow.of(row) for row in rows]
        # Another officer rejected the last one meanwhile; the caller's copy says submitted.
        with session_scope(engine) as session:
            session.execute(
                update(Application)
                .where(col(Application.id) == applications[2].id)
                .values(state=ApplicationState.REJECTED.value)
            )
        with pytest.raises(Conflict), session_scope(engine) as session:
            issue_batch(
                session=session,
                principal=clerk(),
                settings=settings,
                ring=KeyRing.generate(),
                applications=applications,
                reason="employer documents checked",
                now=clock(),
            )
        assert states(engine, batch_id) == {"submitted": 2, "rejected": 1}
        assert count(engine, Transition) == 0
        assert count(engine, Permit) == 0

    def test_indices_stay_unique_when_draws_clash_and_lists_fill(
        self, db_url: str, engine: Engine, clock: FakeClock
    ) -> None:
        # 1024 * 0.0137 = 14.03: each list takes 15 entries (a reservation needs fewer than
        # 14.03 allocated), all drawn from 0..19, so most rounds of draws clash.
        settings = make_settings(db_url, status_list_size=1024, status_list_fill=0.0137)
        ring = KeyRing.generate()
        batch_id = seed_batch(engine, settings, clock, 40)
        credentials = approve_all(
            engine, settings, ring, batch_id, clock, limit=25, randbelow=lambda _: randbelow(20)
        )
        assert len(credentials) == 40
        with Session(engine) as session:
            pairs = session.exec(
                select(col(Credential.status_list_id), col(Credential.status_idx))
            ).all()
            lists = session.exec(select(StatusList).order_by(col(StatusList.id))).all()
            per_list = dict(
                session.exec(
                    select(col(StatusAllocation.list_id), func.count()).group_by(
                        col(StatusAllocation.list_id)
                    )
                ).all()
            )
        assert len(set(pairs)) == 40
        assert all(0 <= idx < 20 for _, idx in pairs)
        assert [row.id for row in lists] == [1, 2, 3]
        assert per_list == {row.id: row.allocated for row in lists}
        assert [row.allocated for row in lists] == [15, 15, 10]
        directory = ring_trust_list(ring)
        lookup = database_status(engine)
        for credential in credentials:
            result = paper_result(
                credential, directory=directory, status_lookup=lookup, now=clock()
            )
            assert (result.valid, result.status) == (True, "valid"), result

    def test_audit_events_name_their_own_rows(
        self, engine: Engine, settings: IssuerSettings, clock: FakeClock
    ) -> None:
        batch_id = seed_batch(engine, settings, clock, 12)
        approve_all(engine, settings, KeyRing.generate(), batch_id, clock, limit=5)
        with Session(engine) as session:
            transitions = {row.id: row for row in session.exec(select(Transition)).all()}
            permits = {row.id: row for row in session.exec(select(Permit)).all()}
            offers = {row.id: row for row in session.exec(select(CredentialOffer)).all()}
            events = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all()
            for event in events:
                if event.action in ("application.approve", "application.issue"):
                    transition = transitions[int(event.refs["transition"])]
                    assert str(transition.entity_id) == event.refs["application"]
                    assert event.action == f"application.{transition.action}"
                    assert transition.actor == event.actor
                if event.action == "permit.create":
                    permit = permits[uuid.UUID(event.refs["permit"])]
                    offer = offers[uuid.UUID(event.refs["offer"])]
                    assert offer.permit_id == permit.id
                    assert offer.application_id == permit.application_id
                    assert event.refs["batch"] == str(batch_id)
            numbers = sorted(permit.permit_no for permit in permits.values())
            assert numbers == [f"3101042026{n:06d}" for n in range(1, 13)]
            assert verify_stored_chain(session).ok

    def test_concurrent_approvals_never_share_an_index_or_a_number(
        self, db_url: str, engine: Engine, clock: FakeClock
    ) -> None:
        # About 20 entries per list: the approvals also race to open the next lists.
        settings = make_settings(db_url, status_list_size=1024, status_list_fill=0.02)
        ring = KeyRing.generate()
        batches = [seed_batch(engine, settings, clock, 15, first=100 * n) for n in range(3)]
        errors: list[BaseException] = []
        barrier = threading.Barrier(len(batches))

        def run(batch_id: uuid.UUID) -> Callable[[], None]:
            def work() -> None:
                try:
                    barrier.wait()
                    approve_all(engine, settings, ring, batch_id, clock, limit=4)
                except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                    errors.append(exc)

            return work

        threads = [threading.Thread(target=run(batch_id)) for batch_id in batches]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with Session(engine) as session:
            pairs = session.execute(
                select(col(Credential.status_list_id), col(Credential.status_idx))
            ).all()
            numbers = session.execute(select(col(Permit.permit_no))).scalars().all()
            assert verify_stored_chain(session).ok
        assert len(pairs) == len(set(pairs)) == 45
        assert len(numbers) == len(set(numbers)) == 45

    def test_registration_rows_are_left_for_an_individual_decision(
        self, engine: Engine, settings: IssuerSettings, clock: FakeClock
    ) -> None:
        batch_id = seed_batch(engine, settings, clock, 4, registration_rows=frozenset({2}))
        assert len(approve_all(engine, settings, KeyRing.generate(), batch_id, clock)) == 3
        assert states(engine, batch_id) == {"issued": 3, "submitted": 1}
