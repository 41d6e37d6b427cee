"""What must hold of an issuer database after any crash: checked, not assumed, by the tests.

- **Status**: every live credential's status entry carries the value of its permit's state,
  and the token served for each list verifies with the issuer's key, has the ETag of its own
  bytes and holds exactly the entries of the database (no half-written or stale token).
- **Audit**: the hash chain verifies up to the head row, every transition row has exactly one
  event and every event that names a transition names an existing one (nothing dangling,
  nothing twice).
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from issuer.audit import verify_stored_chain
from issuer.lifecycle import PERMIT_STATUS_VALUES
from issuer.models import (
    Application,
    AuditEvent,
    Credential,
    CredentialOffer,
    Permit,
    StatusAllocation,
    StatusList,
    Transition,
)
from keys.ring import KeyRing
from tests.databases import count_rows
from tests.issuer.wallet import ISSUER, STATUS_MEDIA_TYPE
from wire.jws import ALGORITHMS
from wire.statuslist import StatusList as WireStatusList
from wire.statuslist import verify_status_list_token

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

__all__ = [
    "assert_approval_left_nothing",
    "assert_audit_consistent",
    "assert_retry_approves_once",
    "assert_status_consistent",
    "moves",
]


def assert_status_consistent(
    client: TestClient, engine: Engine, ring: KeyRing, now: datetime
) -> None:
    """Permits, status entries and every served token agree (module docstring)."""
    with Session(engine) as session:
        live = session.exec(
            select(col(Permit.state), col(StatusAllocation.status))
            .join(Credential, col(Credential.permit_id) == col(Permit.id))
            .join(
                StatusAllocation,
                (col(StatusAllocation.list_id) == col(Credential.status_list_id))
                & (col(StatusAllocation.idx) == col(Credential.status_idx)),
            )
            .where(or_(col(Credential.retired_at).is_(None), col(Credential.grace_until) > now))
        ).all()
        lists = session.exec(select(StatusList).order_by(col(StatusList.id))).all()
        entries = {
            row.id: [
                (int(idx), int(status))
                for idx, status in session.exec(
                    select(col(StatusAllocation.idx), col(StatusAllocation.status)).where(
                        col(StatusAllocation.list_id) == row.id
                    )
                )
            ]
            for row in lists
        }
    assert live, "no credential to check"
    for state, status in live:
        if state in PERMIT_STATUS_VALUES:
            assert status == PERMIT_STATUS_VALUES[state], (state, status)
    for row in lists:
        response = client.get(f"/status/{row.id}")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == STATUS_MEDIA_TYPE
        digest = hashlib.sha256(response.content).hexdigest()[:32]
        assert response.headers["etag"] == f'"{digest}"'
        token = verify_status_list_token(
            response.text,
            resolve_key=ring.public_key,
            expected_sub=row.uri,
            now=int(now.timestamp()),
            algorithms=ALGORITHMS,
            max_bytes=1 << 20,
            issuer=ISSUER,
        )
        assert token.status_list == WireStatusList.from_entries(row.size, row.bits, entries[row.id])


def assert_audit_consistent(engine: Engine) -> None:
    """The chain verifies; transitions and their events pair up one to one."""
    with Session(engine) as session:
        assert verify_stored_chain(session).ok
        transitions = set(session.exec(select(col(Transition.id))).all())
        named = Counter(
            int(event.refs["transition"])
            for event in session.exec(select(AuditEvent))
            if "transition" in event.refs
        )
    assert set(named) == transitions  # none dangling, none missing
    assert all(n == 1 for n in named.values()), named  # none twice


def moves(engine: Engine, permit_id: str, action: str) -> int:
    """How many times ``action`` was recorded for the permit (transition rows)."""
    with Session(engine) as session:
        rows = session.exec(
            select(col(Transition.id)).where(
                col(Transition.entity) == "permit",
                col(Transition.entity_id) == uuid.UUID(permit_id),
                col(Transition.action) == action,
            )
        ).all()
    return len(rows)


def assert_approval_left_nothing(engine: Engine, application_id: uuid.UUID, events: int) -> None:
    """An approval cut off before its commit left no trace: still ``submitted``, no transition,
    no offer, no new audit event (``events`` is the count before), the chain intact."""
    with Session(engine) as session:
        application = session.get(Application, application_id)
        assert application is not None
        assert application.state == "submitted"
    assert count_rows(engine, Transition) == 0
    assert count_rows(engine, CredentialOffer) == 0
    assert count_rows(engine, AuditEvent) == events
    assert_audit_consistent(engine)


def assert_retry_approves_once(
    client: TestClient, engine: Engine, approve: str, body: dict[str, str], headers: dict[str, str]
) -> None:
    """Once the database is back, the same approval succeeds, and exactly once."""
    retry = client.post(approve, json=body, headers=headers)
    assert retry.status_code == 200, retry.text
    assert retry.json()["state"] == "approved"
    assert count_rows(engine, Transition, col(Transition.action) == "approve") == 1
    assert count_rows(engine, CredentialOffer) == 1
    assert_audit_consistent(engine)
