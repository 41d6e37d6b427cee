"""Helpers of the permit tests (moves, renewals, status lists): what a refusal must not change,
and the app's status publisher, which the tests drive with the fake clock."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from issuer.models import AuditEvent, CredentialOffer, Permit, Transition
from issuer.publisher import StatusPublisher

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


def publisher_of(client: TestClient) -> StatusPublisher:
    publisher: StatusPublisher = client.app.state.status_publisher  # type: ignore[attr-defined]
    return publisher


def snapshot(engine: Engine, permit_id: str) -> dict[str, Any]:
    """The permit row and how many offers, transitions and permit events exist: a refused
    request must leave all of it as it was."""
    with Session(engine) as session:
        permit = session.get(Permit, uuid.UUID(permit_id))
        assert permit is not None
        offers = session.exec(select(CredentialOffer)).all()
        transitions = session.exec(
            select(Transition).where(Transition.entity_id == permit.id)
        ).all()
        # Officers' logins are audited too; count what concerns permits.
        events = [
            e
            for e in session.exec(select(AuditEvent))
            if e.action.startswith(("permit.", "offer.", "credential."))
        ]
        return {
            "permit": permit.model_dump(),
            "offers": len(offers),
            "transitions": len(transitions),
            "events": len(events),
        }
