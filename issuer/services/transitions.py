"""Record one lifecycle move: the state change, a transition row (who, when, why), an audit event.

Callers lock the entity row first (``with_for_update``), so two officers acting on one record at
once are serialised and the second sees the first one's state.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from sqlmodel import Session

from issuer.audit import append_event
from issuer.lifecycle import Lifecycle
from issuer.models.audit import Transition
from wire.errors import InvalidInput

__all__ = ["MAX_REASON", "Stateful", "move"]

MAX_REASON = 500


class Stateful(Protocol):
    """A table row with a lifecycle state."""

    id: uuid.UUID
    state: str
    updated_at: datetime


def move(
    *,
    session: Session,
    lifecycle: Lifecycle,
    entity: Stateful,
    action: str,
    actor: str,
    reason: str,
    now: datetime,
) -> Transition:
    """Apply ``action`` to ``entity`` or raise (``Conflict``) having changed nothing."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"reason must hold 1 to {MAX_REASON} characters", field="reason")
    current = entity.state
    target = lifecycle.target(current, action)
    transition = Transition(
        entity=lifecycle.entity,
        entity_id=entity.id,
        from_state=current,
        to_state=target,
        action=action,
        actor=actor,
        at=now,
        reason=reason,
    )
    entity.state = target
    entity.updated_at = now
    session.add(entity)
    session.add(transition)
    session.flush()
    append_event(
        session=session,
        actor=actor,
        action=f"{lifecycle.entity}.{action}",
        refs={lifecycle.entity: str(entity.id), "transition": str(transition.id)},
        now=now,
    )
    return transition
