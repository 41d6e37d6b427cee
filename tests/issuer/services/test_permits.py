"""Permit status moves at the service level: supervisor + TOTP, jurisdictions, status entries.

The HTTP endpoints for permits arrive with issuance; the rules they will call are tested here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from issuer.audit import verify_stored_chain
from issuer.authz import Principal, SecondFactorRequired
from issuer.db import session_scope
from issuer.models import (
    AuditEvent,
    Credential,
    Permit,
    StatusAllocation,
    StatusList,
    Transition,
)
from issuer.models.applications import ApplicationCreate
from issuer.models.officers import Role
from issuer.services.applications import submit_application
from issuer.services.permits import (
    expire_permit,
    reinstate_permit,
    revoke_permit,
    suspend_permit,
)
from tests.clock import FakeClock
from tests.issuer.helpers import application_body
from wire.errors import Conflict, Forbidden, InvalidInput, NotFound

JURISDICTIONS = ("shanghai", "chengdu")


def supervisor(
    *, mfa: bool = True, role: Role = Role.SUPERVISOR, jurisdiction: str = "shanghai"
) -> Principal:
    return Principal(officer_id=uuid.uuid4(), role=role, jurisdiction=jurisdiction, mfa=mfa)


@pytest.fixture
def permit_id(engine: Engine, clock: FakeClock) -> uuid.UUID:
    """An active Shanghai permit with two live credentials, one retired in grace, one past it."""
    now = clock()
    with session_scope(engine) as session:
        application, _ = submit_application(
            session=session,
            data=ApplicationCreate.model_validate(application_body()),
            served=JURISDICTIONS,
            now=now,
        )
        application.state = "issued"
        permit = Permit(
            application_id=application.id,
            jurisdiction="shanghai",
            permit_no="SH2026000001",
            permit_class="standard",
            issuing_authority="上海市公安局",
            first_issued=date(2026, 3, 2),
            endorsed_until=date(2027, 3, 1),
            state="active",
            created_at=now,
            updated_at=now,
        )
        status_list = StatusList(uri="http://127.0.0.1:8000/status/1", dirty=False, created_at=now)
        session.add_all([application, permit, status_list])
        session.flush()
        assert status_list.id is not None
        specs: list[tuple[int, datetime | None, datetime | None]] = [
            (17, None, None),
            (99_001, None, None),
            (4_242, now - timedelta(days=1), now + timedelta(days=6)),  # retired, in grace
            (5, now - timedelta(days=30), now - timedelta(days=2)),  # retired, grace over
        ]
        for idx, retired, grace in specs:
            value = 1 if grace is not None and grace < now else 0
            session.add(
                StatusAllocation(list_id=status_list.id, idx=idx, status=value, allocated_at=now)
            )
            session.flush()
            session.add(
                Credential(
                    permit_id=permit.id,
                    status_list_id=status_list.id,
                    status_idx=idx,
                    holder_jkt="x" * 43,
                    iat=now,
                    exp=now + timedelta(days=365),
                    retired_at=retired,
                    grace_until=grace,
                    created_at=now,
                )
            )
        return permit.id


def state_of(engine: Engine, permit_id: uuid.UUID) -> dict[str, Any]:
    with Session(engine) as session:
        permit = session.get(Permit, permit_id)
        assert permit is not None
        statuses = {
            a.idx: a.status
            for a in session.exec(select(StatusAllocation).order_by(col(StatusAllocation.idx)))
        }
        status_list = session.exec(select(StatusList)).one()
        transitions = session.exec(select(func.count()).select_from(Transition)).one()
        events = session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(col(AuditEvent.action).startswith("permit."))
        ).one()
        return {
            "state": permit.state,
            "statuses": statuses,
            "list": (status_list.dirty, status_list.version),
            "transitions": transitions,
            "events": events,
        }


Move = Callable[..., Permit]


def _move_name(move: Move) -> str:
    """A readable test id: the moves are ``functools.partial`` objects without a ``__name__``."""
    return str(getattr(move, "keywords", {}).get("action", getattr(move, "__name__", move)))


def run(
    engine: Engine,
    move: Move,
    principal: Principal,
    permit_id: uuid.UUID,
    now: datetime,
    reason: str = "court order",
) -> Permit:
    with session_scope(engine) as session:
        return move(
            session=session, principal=principal, permit_id=permit_id, reason=reason, now=now
        )


def test_suspend_reinstate_revoke_flip_live_status_entries(
    engine: Engine, permit_id: uuid.UUID, clock: FakeClock
) -> None:
    actor = supervisor()
    assert state_of(engine, permit_id)["statuses"] == {5: 1, 17: 0, 4242: 0, 99001: 0}

    assert run(engine, suspend_permit, actor, permit_id, clock()).state == "suspended"
    after = state_of(engine, permit_id)
    assert after["statuses"] == {5: 1, 17: 2, 4242: 2, 99001: 2}
    assert after["list"] == (True, 1)

    assert run(engine, reinstate_permit, actor, permit_id, clock()).state == "active"
    after = state_of(engine, permit_id)
    assert after["statuses"] == {5: 1, 17: 0, 4242: 0, 99001: 0}  # grace-over stays INVALID
    assert after["list"] == (True, 2)

    assert run(engine, revoke_permit, actor, permit_id, clock()).state == "revoked"
    after = state_of(engine, permit_id)
    assert after["statuses"] == {5: 1, 17: 1, 4242: 1, 99001: 1}
    assert (after["transitions"], after["events"]) == (3, 3)


def test_every_move_records_who_when_why(
    engine: Engine, permit_id: uuid.UUID, clock: FakeClock
) -> None:
    actor = supervisor()
    clock.advance(hours=1)
    run(engine, suspend_permit, actor, permit_id, clock(), reason="identity fraud under review")
    with Session(engine) as session:
        transition = session.exec(select(Transition)).one()
        event = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc())).first()
        assert verify_stored_chain(session).ok
    assert (
        transition.entity,
        transition.entity_id,
        transition.from_state,
        transition.to_state,
    ) == (
        "permit",
        permit_id,
        "active",
        "suspended",
    )
    assert (transition.actor, transition.at, transition.reason) == (
        actor.actor,
        clock(),
        "identity fraud under review",
    )
    assert event is not None
    assert (event.action, event.actor, event.at) == ("permit.suspend", actor.actor, clock())
    assert event.refs == {"permit": str(permit_id), "transition": str(transition.id)}


def test_revoke_from_suspended(engine: Engine, permit_id: uuid.UUID, clock: FakeClock) -> None:
    run(engine, suspend_permit, supervisor(), permit_id, clock())
    assert run(engine, revoke_permit, supervisor(), permit_id, clock()).state == "revoked"


@pytest.mark.parametrize(
    ("setup", "move"),
    [
        ([], reinstate_permit),
        ([suspend_permit], suspend_permit),
        ([revoke_permit], revoke_permit),
        ([revoke_permit], reinstate_permit),
        ([revoke_permit], suspend_permit),
    ],
    ids=lambda value: (
        ("-".join(map(_move_name, value)) or "active")
        if isinstance(value, list)
        else _move_name(value)
    ),
)
def test_illegal_moves_conflict_and_change_nothing(
    engine: Engine, permit_id: uuid.UUID, clock: FakeClock, setup: list[Move], move: Move
) -> None:
    for step in setup:
        run(engine, step, supervisor(), permit_id, clock())
    before = state_of(engine, permit_id)
    with pytest.raises(Conflict):
        run(engine, move, supervisor(), permit_id, clock())
    assert state_of(engine, permit_id) == before


@pytest.mark.parametrize("move", [suspend_permit, reinstate_permit, revoke_permit], ids=_move_name)
def test_a_totp_session_is_required(
    engine: Engine, permit_id: uuid.UUID, clock: FakeClock, move: Move
) -> None:
    before = state_of(engine, permit_id)
    with pytest.raises(SecondFactorRequired):
        run(engine, move, supervisor(mfa=False), permit_id, clock())
    assert state_of(engine, permit_id) == before


@pytest.mark.parametrize("role", [Role.CLERK, Role.AUDITOR])
@pytest.mark.parametrize("move", [suspend_permit, reinstate_permit, revoke_permit], ids=_move_name)
def test_only_supervisors(
    engine: Engine, permit_id: uuid.UUID, clock: FakeClock, role: Role, move: Move
) -> None:
    before = state_of(engine, permit_id)
    with pytest.raises(Forbidden):
        run(engine, move, supervisor(role=role), permit_id, clock())
    assert state_of(engine, permit_id) == before


def test_other_jurisdiction_and_unknown_permit(
    engine: Engine, permit_id: uuid.UUID, clock: FakeClock
) -> None:
    before = state_of(engine, permit_id)
    with pytest.raises(Forbidden):
        run(engine, revoke_permit, supervisor(jurisdiction="chengdu"), permit_id, clock())
    with pytest.raises(NotFound):
        run(engine, revoke_permit, supervisor(), uuid.uuid4(), clock())
    assert state_of(engine, permit_id) == before


def test_a_reason_is_required(engine: Engine, permit_id: uuid.UUID, clock: FakeClock) -> None:
    before = state_of(engine, permit_id)
    with pytest.raises(InvalidInput) as caught:
        run(engine, revoke_permit, supervisor(), permit_id, clock(), reason="  ")
    assert caught.value.field == "reason"
    assert state_of(engine, permit_id) == before


def test_expire_only_after_the_endorsement(
    engine: Engine, permit_id: uuid.UUID, clock: FakeClock
) -> None:
    before = state_of(engine, permit_id)
    with pytest.raises(Conflict), session_scope(engine) as session:
        expire_permit(session=session, permit_id=permit_id, now=clock())
    assert state_of(engine, permit_id) == before
    # 2027-03-01 is the last endorsed day (CST); expiry is possible from 2027-03-02 00:00 CST.
    clock.now = datetime.fromisoformat("2027-03-01T16:00:00+00:00")
    with session_scope(engine) as session:
        assert expire_permit(session=session, permit_id=permit_id, now=clock()).state == "expired"
    after = state_of(engine, permit_id)
    assert after["statuses"] == before["statuses"]  # exp already refuses the credentials
    assert after["transitions"] == before["transitions"] + 1
    with Session(engine) as session:
        transition = session.exec(select(Transition)).one()
    assert transition.actor == "system"


def test_expire_unknown_permit(engine: Engine, clock: FakeClock) -> None:
    with pytest.raises(NotFound), session_scope(engine) as session:
        expire_permit(session=session, permit_id=uuid.uuid4(), now=clock())
