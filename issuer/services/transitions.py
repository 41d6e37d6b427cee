"""Record one lifecycle move: the state change, a transition row (who, when, why), an audit event.

Callers lock the entity row first (``with_for_update``), so two officers acting on one record at
once are serialised and the second sees the first one's state.

The rows are written with prebuilt Core statements rather than through the ORM unit of work
(flushing two objects costs several times more than the two statements themselves).
:func:`record_moves` writes states and transitions and hands back the audit events, so a
transaction that records several moves (issuance, bulk issuance) appends all its events under
one lock of the chain head; :func:`move` is the one-entity form that appends its event too.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Final, Protocol

from sqlalchemy import bindparam, insert, inspect, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from issuer.audit import NewEvent, append_events
from issuer.db import TZDateTime, core_connection
from issuer.lifecycle import Lifecycle
from issuer.models._base import metadata
from wire.errors import Conflict, InvalidInput

__all__ = ["MAX_REASON", "Stateful", "check_reason", "mark_moved", "move", "record_moves"]

MAX_REASON = 500


class Stateful(Protocol):
    """A table row with a lifecycle state."""

    id: uuid.UUID
    state: str
    updated_at: datetime


_TRANSITIONS: Final = metadata.tables["transition"]
#: Several rows go in as one multi-row statement; ``RETURNING`` names each row's entity, since
#: not every backend returns the rows in parameter order (asking SQLAlchemy to sort them makes
#: it insert one row per statement on SQLite).
_INSERT_TRANSITIONS: Final = insert(_TRANSITIONS).returning(
    _TRANSITIONS.c.id, _TRANSITIONS.c.entity_id
)
_SET_STATE: Final = {
    name: update(table)
    .where(table.c.id.in_(bindparam("entity_ids", expanding=True)))
    .where(table.c.state == bindparam("from_state"))
    .values(state=bindparam("to_state"), updated_at=bindparam("at", type_=TZDateTime()))
    for name, table in ((name, metadata.tables[name]) for name in ("application", "permit"))
}


def check_reason(reason: str) -> str:
    """The officer's reason, trimmed; 1 to :data:`MAX_REASON` characters of text: line breaks
    and tabs, but no other control character (PostgreSQL refuses NUL in text columns, which
    was a 500)."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"reason must hold 1 to {MAX_REASON} characters", field="reason")
    if any((ord(c) < 0x20 and c not in "\t\n\r") or 0x7F <= ord(c) < 0xA0 for c in reason):
        raise InvalidInput("reason must not contain control characters", field="reason")
    return reason


def record_moves(
    *,
    session: Session,
    lifecycle: Lifecycle,
    entity_ids: Sequence[uuid.UUID],
    current: str,
    action: str,
    actor: str,
    reason: str,
    now: datetime,
) -> tuple[str, list[NewEvent]]:
    """Move every entity in ``entity_ids`` from ``current`` by ``action``; write their new state
    and transition rows, and return the target state and the audit events to append.

    The move is checked against the lifecycle before anything is written, and an entity whose
    state is no longer ``current`` refuses the lot (:class:`Conflict`; callers lock the rows, so
    that only happens when a caller passed a stale state). The caller appends the events, in
    the same transaction and before it touches permit numbers or status lists (the lock order
    of :mod:`issuer.audit`). One multi-row insert and one update however many entities.
    """
    reason = check_reason(reason)
    target = lifecycle.target(current, action)
    if len(set(entity_ids)) != len(entity_ids):
        raise ValueError("each entity moves once")
    if not entity_ids:
        return target, []
    rows = [
        {
            "entity": lifecycle.entity,
            "entity_id": entity_id,
            "from_state": current,
            "to_state": target,
            "action": action,
            "actor": actor,
            "at": now,
            "reason": reason,
        }
        for entity_id in entity_ids
    ]
    conn = core_connection(session)
    inserted = conn.execute(_INSERT_TRANSITIONS, rows[0] if len(rows) == 1 else rows)
    transition_of = {entity_id: int(transition_id) for transition_id, entity_id in inserted}
    params = {"entity_ids": list(entity_ids), "from_state": current, "to_state": target, "at": now}
    result = conn.execute(_SET_STATE[lifecycle.entity], params)
    if result.rowcount != len(entity_ids):
        raise Conflict(f"the {lifecycle.entity} changed meanwhile; try again")
    name = f"{lifecycle.entity}.{action}"
    return target, [
        NewEvent(
            actor,
            name,
            {lifecycle.entity: str(entity_id), "transition": str(transition_of[entity_id])},
        )
        for entity_id in entity_ids
    ]


def mark_moved(entity: Stateful, state: str, now: datetime) -> None:
    """Record on ``entity`` (a loaded table row, or a plain object) a move already written by
    :func:`record_moves`, as stored: the unit of work will not write it a second time."""
    if inspect(entity, raiseerr=False) is not None:
        set_committed_value(entity, "state", state)
        set_committed_value(entity, "updated_at", now)
    else:
        entity.state = state
        entity.updated_at = now


def move(
    *,
    session: Session,
    lifecycle: Lifecycle,
    entity: Stateful,
    action: str,
    actor: str,
    reason: str,
    now: datetime,
) -> str:
    """Apply ``action`` to ``entity`` or raise (``Conflict``) having changed nothing.

    Writes the state, the transition row and its audit event; ``entity`` (a loaded table row)
    is updated in memory as already stored. Returns the new state.
    """
    state = inspect(entity, raiseerr=False)
    if state is not None and not state.persistent:
        session.flush()  # a pending row must exist before its state is updated
    target, [event] = record_moves(
        session=session,
        lifecycle=lifecycle,
        entity_ids=[entity.id],
        current=entity.state,
        action=action,
        actor=actor,
        reason=reason,
        now=now,
    )
    append_events(session=session, events=[event], now=now)
    mark_moved(entity, target, now)
    return target
