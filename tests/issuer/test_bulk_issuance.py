"""Bulk issuance in the service: ``approve_batch`` issues an employer batch in chunks.

A chunk is all or nothing (a late failure or a kill -9 before the commit leaves no trace),
status indices and permit numbers stay unique when draws clash, lists fill or approvals run
concurrently, the audit events name their own rows, and registration rows wait for an
individual decision. The HTTP endpoint over it: ``test_bulk_issuance_http.py``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from secrets import randbelow

import pytest
from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from issuer.audit import verify_stored_chain
from issuer.authz import Principal
from issuer.db import session_scope
from issuer.lifecycle import ApplicationState
from issuer.models import (
    Application,
    AuditEvent,
    Credential,
    CredentialOffer,
    Permit,
    PermitSequence,
    Role,
    StatusAllocation,
    StatusList,
    Transition,
)
from issuer.services.bulk import MAX_CHUNK, approve_batch, issue_batch
from issuer.services.oid4vci import ApplicationRow
from issuer.settings import IssuerSettings
from keys.ring import KeyRing
from tests.clock import FakeClock
from tests.databases import count_rows
from tests.issuer.bulk_helpers import paper_result, seed_batch, states
from tests.issuer.conftest import make_settings
from tests.issuer.crash import kill_9_inside
from tests.issuer.wallet import ISSUER, STATUS_PREFIX
from wire.errors import Conflict
from wire.trust import TrustList
from wire.verify import IssuerTrust, StatusLookup


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


def clerk(jurisdiction: str = "shanghai") -> Principal:
    return Principal(uuid.uuid4(), Role.CLERK, jurisdiction, mfa=False)


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


class TestService:
    def test_all_or_nothing_when_a_chunk_fails_late(
        self, engine: Engine, settings: IssuerSettings, clock: FakeClock
    ) -> None:
        batch_id = seed_batch(engine, settings, clock, 6)
        events_before = count_rows(engine, AuditEvent)
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
            assert count_rows(engine, model) == 0, model
        assert count_rows(engine, AuditEvent) == events_before
        with Session(engine) as session:
            assert verify_stored_chain(session).ok

    def test_kill_9_before_the_commit_leaves_nothing(
        self, db_url: str, engine: Engine, settings: IssuerSettings, clock: FakeClock
    ) -> None:
        batch_id = seed_batch(engine, settings, clock, 5)
        events_before = count_rows(engine, AuditEvent)
        kill_9_inside("tests.issuer.bulk_crash_worker", db_url, str(batch_id), point="5")
        assert states(engine, batch_id) == {"submitted": 5}
        for model in (Permit, Credential, CredentialOffer, StatusAllocation, Transition):
            assert count_rows(engine, model) == 0, model
        assert count_rows(engine, AuditEvent) == events_before
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
        assert count_rows(engine, Transition) == 0
        assert count_rows(engine, Permit) == 0

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
